namespace JobScheduler.Core.Storage;

/// <summary>
/// The names under which grains keep state, and the storage provider name. A store keeps <see cref="Job"/> and
/// <see cref="Execution"/> states as rows of their own (columns lists can filter on); any other state is an opaque
/// payload.
/// </summary>
public static class StateNames
{
    /// <summary>The grain storage provider the scheduler's grains use; each host registers one (memory, SQLite or PostgreSQL).</summary>
    public const string Provider = "JobScheduler";

    /// <summary>A job grain's <see cref="JobGrainState"/>.</summary>
    public const string Job = "job";

    /// <summary>An execution grain's <see cref="ExecutionGrainState"/>.</summary>
    public const string Execution = "execution";

    /// <summary>A DAG grain's <see cref="DagGrainState"/>.</summary>
    public const string Dag = "dag";

    /// <summary>A DAG run grain's <see cref="DagRunGrainState"/>.</summary>
    public const string DagRun = "dagrun";
}
