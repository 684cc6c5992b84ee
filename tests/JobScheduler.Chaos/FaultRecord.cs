namespace JobScheduler.Chaos;

/// <summary>
/// One fault as it happened, logged so that a seed can be replayed and figures attributed: when it began, when the
/// cluster noticed (a silo's node shown <c>down</c> in <c>/api/nodes</c>), and when the faulty part was back.
/// </summary>
/// <param name="Kind">kill-silo, stop-silo, kill-api, restart-postgres, step-clock, kill-server, stop-server.</param>
/// <param name="Target">The process (or postgres) it hit, and the node id of a silo.</param>
/// <param name="Burst">Triggers submitted all at once while the fault lasted.</param>
/// <param name="ClockOffset">For step-clock: how far the silo's wall clock was stepped.</param>
public sealed record FaultRecord(string Kind, string Target, string? NodeId, DateTimeOffset StartedAt, DateTimeOffset? DetectedAt, DateTimeOffset EndedAt, int Burst, TimeSpan? ClockOffset = null);
