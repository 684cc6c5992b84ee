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

    /// <summary>Orleans' ActivitySources: grain calls (Application), runtime, lifecycle and storage.</summary>
    public const string OrleansActivitySources = "Microsoft.Orleans.*";
}
