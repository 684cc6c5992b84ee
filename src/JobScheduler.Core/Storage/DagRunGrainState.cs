namespace JobScheduler.Core.Storage;

/// <summary>
/// A DAG run as stored: one row (<c>js_dag_runs</c> in SQL) that is the run grain's state, its history entry and what
/// lists read. The request (the DAG's steps as they were when the run started) is written with the row, never again.
/// </summary>
[GenerateSerializer, Alias("JobScheduler.DagRunGrainState")]
public sealed class DagRunGrainState
{
    [Id(0)] public DagRunInfo? Run { get; set; }
    [Id(1)] public DagRunRequest? Request { get; set; }
    [Id(2)] public bool CancelRequested { get; set; }
}
