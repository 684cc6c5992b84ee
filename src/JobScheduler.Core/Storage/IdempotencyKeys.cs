namespace JobScheduler.Core.Storage;

/// <summary>
/// A job's memory of trigger idempotency keys: a trigger that names a key already seen (within
/// <see cref="Window"/>) maps to the execution the first one created, so a client that retries after a timeout gets
/// one run, not two. The job keeps at most <see cref="MaxKept"/> keys, the newest.
/// </summary>
public static class IdempotencyKeys
{
    /// <summary>Keys kept per job.</summary>
    public const int MaxKept = 100;

    /// <summary>The longest key accepted.</summary>
    public const int MaxLength = 200;

    /// <summary>How long a key is remembered.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromHours(24);

    /// <summary>The execution an earlier trigger with <paramref name="key"/> created, if it is still remembered at <paramref name="now"/>.</summary>
    public static string? Find(IReadOnlyList<IdempotentTrigger> triggers, string key, DateTimeOffset now) =>
        FindTrigger(triggers, key, now)?.ExecutionId;

    /// <summary>The earlier trigger with <paramref name="key"/>, if it is still remembered at <paramref name="now"/>.</summary>
    public static IdempotentTrigger? FindTrigger(IReadOnlyList<IdempotentTrigger> triggers, string key, DateTimeOffset now) =>
        triggers.LastOrDefault(t => t.Key == key && now - t.At < Window);

    /// <summary>
    /// Remembers <paramref name="key"/> for <paramref name="executionId"/> and forgets what is too old or too many;
    /// <paramref name="pending"/> until the execution is known to have started.
    /// </summary>
    public static void Remember(List<IdempotentTrigger> triggers, string key, string executionId, DateTimeOffset now, bool pending = false)
    {
        triggers.RemoveAll(t => t.Key == key || now - t.At >= Window);
        triggers.Add(new IdempotentTrigger { Key = key, ExecutionId = executionId, At = now, Pending = pending });
        if (triggers.Count > MaxKept)
        {
            triggers.RemoveRange(0, triggers.Count - MaxKept);
        }
    }

    /// <summary>Errors for a key a client sent (empty when it is acceptable).</summary>
    public static IReadOnlyList<FieldError> Validate(string key) =>
        key.Length is 0 or > MaxLength || key.Any(char.IsControl)
            ? [new FieldError("idempotencyKey", $"must be 1 to {MaxLength} characters without control characters.")]
            : [];
}
