using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace JobScheduler.Grains.Hosting;

/// <summary>
/// The scheduler's own metrics (meter <c>JobScheduler</c>), for OpenTelemetry or any <see cref="MeterListener"/>.
/// <c>jobscheduler.stage.duration</c> says where an execution's time goes, tagged with <c>stage</c>:
/// <list type="bullet">
/// <item><c>submission</c> — a job's create or replace in its grain, writes included;</item>
/// <item><c>fire</c> — from a fire's due instant until its job grain starts handling it;</item>
/// <item><c>placement</c> — reserving a node for an attempt (zero when it runs where its execution lives);</item>
/// <item><c>persistence</c> — one write of a job's or an execution's grain state;</item>
/// <item><c>reminder</c> — registering or moving a job's durable reminder;</item>
/// <item><c>run</c> — an attempt on its node, from its start until its execution holds the result.</item>
/// </list>
/// </summary>
public static class SchedulerMetrics
{
    public const string MeterName = "JobScheduler";
    public const string StageDurationName = "jobscheduler.stage.duration";

    private static readonly Meter Meter = new(MeterName);

    private static readonly Histogram<double> StageDuration = Meter.CreateHistogram<double>(
        StageDurationName, unit: "ms", description: "Time spent in one stage of a job's submission or an execution.");

    private static readonly Counter<long> ExecutionsFinished = Meter.CreateCounter<long>(
        "jobscheduler.executions.finished", description: "Executions that reached a final state, tagged with it.");

    public const string Submission = "submission";
    public const string Fire = "fire";
    public const string Placement = "placement";
    public const string Persistence = "persistence";
    public const string History = "history";
    public const string Run = "run";
    public const string Reminder = "reminder";

    /// <summary>Records the time elapsed since <paramref name="startTimestamp"/> (from <see cref="Stopwatch.GetTimestamp()"/>).</summary>
    public static void RecordStage(string stage, long startTimestamp)
    {
        if (StageDuration.Enabled)
        {
            StageDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalMilliseconds, new KeyValuePair<string, object?>("stage", stage));
        }
    }

    public static void RecordStage(string stage, TimeSpan duration)
    {
        if (StageDuration.Enabled)
        {
            StageDuration.Record(duration.TotalMilliseconds, new KeyValuePair<string, object?>("stage", stage));
        }
    }

    public static void RecordFinished(ExecutionState state)
    {
        if (ExecutionsFinished.Enabled)
        {
            ExecutionsFinished.Add(1, new KeyValuePair<string, object?>("state", state.ToString()));
        }
    }
}
