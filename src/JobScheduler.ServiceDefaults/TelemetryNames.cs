namespace JobScheduler.ServiceDefaults;

/// <summary>
/// The names telemetry is collected under. Strings rather than references, so that this project depends on no feature
/// project; the grains' <c>SchedulerTracing.SourceName</c> and <c>SchedulerMetrics.MeterName</c> have the same values.
/// </summary>
public static class TelemetryNames
{
    /// <summary>The scheduler's own ActivitySource (fire, placement, attempt, action, DAG run and step spans).</summary>
    public const string ActivitySource = "JobScheduler";

    /// <summary>The scheduler's own Meter (docs/observability.md lists its instruments).</summary>
    public const string Meter = "JobScheduler";

    /// <summary>Orleans' meter (<c>orleans-*</c> instruments).</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>
    /// Orleans' grain-call spans (client and server of every call, joined across silos by its activity propagation).
    /// Orleans' other sources (<c>Microsoft.Orleans.Runtime</c>, <c>.Lifecycle</c>, <c>.Storage</c>) are left out: an
    /// activation and a storage write per execution step doubled the spans without saying more about a job (the
    /// scheduler's storage metrics and its <c>persistence</c> stage cover the writes).
    /// </summary>
    public const string OrleansActivitySource = "Microsoft.Orleans.Application";
}
