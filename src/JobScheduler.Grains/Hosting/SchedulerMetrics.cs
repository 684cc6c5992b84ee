using System.Diagnostics;
using System.Diagnostics.Metrics;
using JobScheduler.Core.Storage;

namespace JobScheduler.Grains.Hosting;

/// <summary>
/// The scheduler's own metrics (meter <c>JobScheduler</c>), for OpenTelemetry or any <see cref="MeterListener"/>.
/// <c>jobscheduler.stage.duration</c> says where an execution's time goes, tagged with <c>stage</c>:
/// <list type="bullet">
/// <item><c>submission</c> — a job's create or replace in its grain, writes included;</item>
/// <item><c>fire</c> — from a fire's due instant until its job grain starts handling it;</item>
/// <item><c>placement</c> — reserving a node for an attempt (zero when it runs where its execution lives);</item>
/// <item><c>persistence</c> — one write of a job's or an execution's grain state;</item>
/// <item><c>run</c> — an attempt on its node, from its start until its execution holds the result;</item>
/// <item><c>step-report</c> — a DAG step: from its execution's end until its run applies it (the run's queue);</item>
/// <item><c>step-start</c> — a DAG run starting the steps one event unblocked: from marking them running until every
/// execution answered (the run handles nothing else meanwhile); one measurement per event, not per step;</item>
/// <item><c>dag-write</c> — one (coalesced) write of a DAG run's row.</item>
/// </list>
/// <c>jobscheduler.executions.finished</c> (counter, unit <c>{execution}</c>, tag <c>state</c>) counts executions that
/// reached a final state. <c>jobscheduler.grain.calls</c> (counter, unit <c>{call}</c>, tag <c>interface</c>, the grain
/// interface's name) counts the calls a silo receives to the scheduler's own grain interfaces (namespace
/// <c>JobScheduler…</c>; Orleans' system targets and its own grains are left out), see <see cref="GrainCallCounter"/>.
/// The stores' statement counts are in <see cref="StorageMetrics"/>, on the same meter.
/// </summary>
public static class SchedulerMetrics
{
    public const string MeterName = StorageMetrics.MeterName;
    public const string StageDurationName = "jobscheduler.stage.duration";
    public const string GrainCallsName = "jobscheduler.grain.calls";

    private static readonly Meter Meter = StorageMetrics.Meter;

    private static readonly Histogram<double> StageDuration = Meter.CreateHistogram<double>(
        StageDurationName, unit: "ms", description: "Time spent in one stage of a job's submission or an execution.");

    private static readonly Counter<long> ExecutionsFinished = Meter.CreateCounter<long>(
        "jobscheduler.executions.finished", unit: "{execution}", description: "Executions that reached a final state, tagged with it.");

    private static readonly Counter<long> GrainCalls = Meter.CreateCounter<long>(
        GrainCallsName, unit: "{call}", description: "Grain calls received by this silo to the scheduler's grain interfaces, tagged interface.");

    public const string Submission = "submission";
    public const string Fire = "fire";
    public const string Placement = "placement";
    public const string Persistence = "persistence";
    public const string Run = "run";
    public const string StepReport = "step-report";
    public const string StepStart = "step-start";
    public const string DagWrite = "dag-write";

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

    /// <summary>Counts one received call; <paramref name="interfaceTag"/> is cached per interface, so this allocates nothing.</summary>
    internal static void RecordGrainCall(KeyValuePair<string, object?> interfaceTag)
    {
        if (GrainCalls.Enabled)
        {
            GrainCalls.Add(1, interfaceTag);
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
