namespace JobScheduler.Chaos;

/// <summary>A cancel the workload asked for; <paramref name="Acknowledged"/> when the API answered 2xx.</summary>
public sealed record CancelRecord(string ExecutionId, bool Acknowledged, DateTimeOffset At);
