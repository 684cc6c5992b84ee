namespace JobScheduler.Chaos;

/// <summary>
/// A cancel the workload asked for; <paramref name="Acknowledged"/> when the API answered 2xx, with the execution's
/// state in that answer (<paramref name="AnsweredState"/>): a cancel that arrives after the execution ended changes
/// nothing, and says so.
/// </summary>
public sealed record CancelRecord(string ExecutionId, bool Acknowledged, DateTimeOffset At, string? AnsweredState = null);
