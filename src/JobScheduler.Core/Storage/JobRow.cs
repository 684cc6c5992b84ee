namespace JobScheduler.Core.Storage;

/// <summary>
/// A job's row as every SQL store writes it: the columns lists filter and sort on, the job's wire document (what
/// lists return), and the rest of the grain's state (<see cref="Runtime"/>). Written in one statement per change.
/// </summary>
public sealed record JobRow(
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
    public static JobRow From(JobGrainState state)
    {
        var job = state.Job ?? throw new ArgumentException("A job row needs a job; a deleted job's row is removed instead.", nameof(state));
        return new JobRow(
            job.Id,
            job.Owner,
            CatalogDocuments.Name(job.State),
            StoredJson.Serialize(job.Tags ?? []),
            job.NextFireAt,
            job.CreatedAt,
            job.UpdatedAt,
            StoredJson.Serialize(job),
            StoredJson.Serialize(new JobRuntime(state.PlannedAt, state.LastTriggerAt, state.ExecutionCount, state.Executions, state.Triggers, state.Waiters)));
    }

    /// <summary>The grain state a row holds.</summary>
    public static JobGrainState ToState(string document, string runtime)
    {
        var rest = StoredJson.Deserialize<JobRuntime>(runtime);
        return new JobGrainState
        {
            Job = StoredJson.Deserialize<JobInfo>(document),
            PlannedAt = rest.PlannedAt,
            LastTriggerAt = rest.LastTriggerAt,
            ExecutionCount = rest.ExecutionCount,
            Executions = rest.Executions ?? [],
            Triggers = rest.Triggers ?? [],
            Waiters = rest.Waiters ?? [],
        };
    }

    private sealed record JobRuntime(
        DateTimeOffset PlannedAt,
        DateTimeOffset LastTriggerAt,
        int ExecutionCount,
        List<ExecutionRecord>? Executions,
        List<IdempotentTrigger>? Triggers,
        List<SuccessWaiter>? Waiters = null);
}
