namespace JobScheduler.Grains.Executions;

[GenerateSerializer, Alias("JobScheduler.ExecutionGrainState")]
public sealed class ExecutionGrainState
{
    [Id(0)] public ExecutionInfo? Info { get; set; }
    [Id(1)] public ExecutionRequest? Request { get; set; }
    [Id(2)] public bool CancelRequested { get; set; }

    /// <summary>Grows with every write; the query model keeps the row of the highest revision it has seen.</summary>
    [Id(3)] public long Revision { get; set; }
}
