using System.Text.Json;

namespace JobScheduler.Chaos;

/// <summary>A job the workload created, with the definition the server answered at creation.</summary>
/// <param name="Purpose">cron, interval, once, retry, timeout, cancel or burst: what its executions must end as.</param>
/// <param name="Created">The job as the PUT answered it (schedule, action, nextFireAt).</param>
public sealed record JobRecord(string Id, string Purpose, JsonElement Created);
