namespace JobScheduler.Grains.Executions;

[GenerateSerializer, Alias("JobScheduler.ExecutionGrainState")]
public sealed class ExecutionGrainState
{
    [Id(0)] public ExecutionInfo? Info { get; set; }
    [Id(1)] public ExecutionRequest? Request { get; set; }
    [Id(2)] public bool CancelRequested { get; set; }
}
