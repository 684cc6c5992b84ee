namespace JobScheduler.Core.Storage;

/// <summary>
/// A DAG run's row as every SQL store writes it, as <see cref="ExecutionRow"/> is an execution's: the columns lists
/// filter and sort on, the run's wire document (what lists return, and the history), the cancel flag, and the request
/// snapshot (written when the row is created, never again).
/// </summary>
public sealed record DagRunRow(
    string Id,
    string DagId,
    string Owner,
    string State,
    DateTimeOffset ScheduledAt,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    bool CancelRequested,
    string Document,
    string? Request)
{
    public static DagRunRow From(DagRunGrainState state)
    {
        var run = state.Run ?? throw new ArgumentException("A DAG run row needs a run.", nameof(state));
        return new DagRunRow(
            run.Id,
            run.DagId,
            run.Owner,
            CatalogDocuments.Name(run.State),
            run.ScheduledAt,
            run.StartedAt,
            run.FinishedAt,
            state.CancelRequested,
            StoredJson.Serialize(run),
            state.Request is null ? null : StoredJson.Serialize(state.Request));
    }

    /// <summary>The grain state a row holds.</summary>
    public static DagRunGrainState ToState(string document, string? request, bool cancelRequested) => new()
    {
        Run = StoredJson.Deserialize<DagRunInfo>(document),
        Request = request is null ? null : StoredJson.Deserialize<DagRunRequest>(request),
        CancelRequested = cancelRequested,
    };
}
