namespace JobScheduler.Chaos;

/// <summary>
/// How late a scheduled instant fired: from the instant (<c>scheduledAt</c>), or from the job's creation when that came
/// later, to its execution's creation by the job (<c>createdAt</c>), the moment the scheduler acted on it.
/// </summary>
public sealed record LateFire(string ExecutionId, DateTimeOffset Instant, TimeSpan Late);
