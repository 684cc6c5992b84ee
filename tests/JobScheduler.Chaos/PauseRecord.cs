namespace JobScheduler.Chaos;

/// <summary>When a recurring job's pause was asked for and answered, ending its checked window.</summary>
public sealed record PauseRecord(string JobId, DateTimeOffset RequestedAt, DateTimeOffset? AcknowledgedAt);
