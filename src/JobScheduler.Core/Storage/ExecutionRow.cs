namespace JobScheduler.Core.Storage;

/// <summary>
/// An execution's row as every SQL store writes it: the columns lists filter and sort on, the execution's wire
/// document without attempt output (what lists return, and the history), the cancel flag, and the request snapshot
/// (written when the row is created, never again). Output is stored beside the row, one entry per attempt, once.
/// </summary>
public sealed record ExecutionRow(
    string Id,
    string JobId,
    string Owner,
    DateTimeOffset ScheduledAt,
    string State,
    DateTimeOffset CreatedAt,
    DateTimeOffset? FinishedAt,
    bool CancelRequested,
    string Document,
    string? Request)
{
    public static ExecutionRow From(ExecutionGrainState state)
    {
        var info = state.Info ?? throw new ArgumentException("An execution row needs an execution.", nameof(state));
        return new ExecutionRow(
            info.Id,
            info.JobId,
            info.Owner,
            info.ScheduledAt,
            CatalogDocuments.Name(info.State),
            info.CreatedAt,
            info.FinishedAt,
            state.CancelRequested,
            StoredJson.Serialize(CatalogDocuments.WithoutOutput(info)),
            state.Request is null ? null : StoredJson.Serialize(state.Request));
    }

    /// <summary>
    /// The output of finished attempts not stored yet (beyond <see cref="ExecutionGrainState.OutputsStored"/>). Empty
    /// output is not stored: an attempt that finished without a stored output reads back as empty.
    /// </summary>
    public static IReadOnlyList<AttemptOutput> NewOutputs(ExecutionGrainState state)
    {
        var attempts = state.Info?.Attempts ?? [];
        var outputs = new List<AttemptOutput>();
        foreach (var attempt in attempts.Where(a => a.Number > state.OutputsStored && a.Outcome is not null))
        {
            if (!string.IsNullOrEmpty(attempt.Output))
            {
                outputs.Add(new AttemptOutput(attempt.Number, attempt.Output));
            }
        }
        return outputs;
    }

    /// <summary>The number of attempts whose output a write of <paramref name="state"/> has stored (every finished one).</summary>
    public static int FinishedAttempts(ExecutionGrainState state) =>
        state.Info?.Attempts is { Length: > 0 } attempts && attempts[^1].Outcome is null ? attempts.Length - 1 : state.Info?.Attempts.Length ?? 0;

    /// <summary>The grain state a row and its stored outputs hold.</summary>
    public static ExecutionGrainState ToState(string document, string? request, bool cancelRequested, IReadOnlyCollection<AttemptOutput> outputs)
    {
        var info = StoredJson.Deserialize<ExecutionInfo>(document);
        var byNumber = outputs.ToDictionary(o => o.Number, o => o.Output);
        info = info with
        {
            Attempts =
            [
                .. info.Attempts.Select(a => a with
                {
                    Output = byNumber.TryGetValue(a.Number, out var output) ? output
                        : a.Outcome is null or AttemptOutcome.Lost ? null : "",
                }),
            ],
        };
        var state = new ExecutionGrainState
        {
            Info = info,
            Request = request is null ? null : StoredJson.Deserialize<ExecutionRequest>(request),
            CancelRequested = cancelRequested,
        };
        state.OutputsStored = FinishedAttempts(state);
        return state;
    }
}

/// <summary>The output tail of one finished attempt, stored once beside its execution's row.</summary>
public sealed record AttemptOutput(int Number, string Output);
