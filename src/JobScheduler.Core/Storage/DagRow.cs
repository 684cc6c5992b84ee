namespace JobScheduler.Core.Storage;

/// <summary>
/// A DAG's row as every SQL store writes it, as <see cref="JobRow"/> is a job's: the columns lists filter and sort on,
/// the DAG's wire document (what lists return), and the rest of the grain's state (<see cref="Runtime"/>). Written in
/// one statement per change.
/// </summary>
public sealed record DagRow(
    string Id,
    string Owner,
    string State,
    string Tags,
    DateTimeOffset? NextFireAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string Document,
    string Runtime)
{
    public static DagRow From(DagGrainState state)
    {
        var dag = state.Dag ?? throw new ArgumentException("A DAG row needs a DAG; a deleted DAG's row is removed instead.", nameof(state));
        return new DagRow(
            dag.Id,
            dag.Owner,
            CatalogDocuments.Name(dag.State),
            StoredJson.Serialize(dag.Tags ?? []),
            dag.NextFireAt,
            dag.CreatedAt,
            dag.UpdatedAt,
            StoredJson.Serialize(dag),
            StoredJson.Serialize(new DagRuntime(state.PlannedAt, state.LastTriggerAt, state.Runs, state.Triggers, state.Waiters, state.RunCount)));
    }

    /// <summary>The grain state a row holds.</summary>
    public static DagGrainState ToState(string document, string runtime)
    {
        var rest = StoredJson.Deserialize<DagRuntime>(runtime);
        return new DagGrainState
        {
            Dag = StoredJson.Deserialize<DagInfo>(document),
            PlannedAt = rest.PlannedAt,
            LastTriggerAt = rest.LastTriggerAt,
            Runs = rest.Runs ?? [],
            Triggers = rest.Triggers ?? [],
            Waiters = rest.Waiters ?? [],
            RunCount = rest.RunCount,
        };
    }

    private sealed record DagRuntime(
        DateTimeOffset PlannedAt,
        DateTimeOffset LastTriggerAt,
        List<RunRecord>? Runs,
        List<IdempotentTrigger>? Triggers,
        List<SuccessWaiter>? Waiters,
        int RunCount = 0);
}
