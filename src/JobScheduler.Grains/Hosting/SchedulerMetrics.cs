using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using JobScheduler.Core.Storage;
using JobScheduler.Grains.Nodes;

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
/// The stores' statement counts are in <see cref="StorageMetrics"/>, on the same meter. The instruments named for
/// operators (fire lateness, executions started, attempts retried, executions pending and running by priority, node
/// capacity) are listed with their units in docs/observability.md.
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
        ExecutionsFinishedName, unit: "{execution}", description: "Executions that reached a final state, tagged with it.");

    private static readonly Counter<long> GrainCalls = Meter.CreateCounter<long>(
        GrainCallsName, unit: "{call}", description: "Grain calls received by this silo to the scheduler's grain interfaces, tagged interface.");

    public const string FireLatenessName = "jobscheduler.fire.lateness";
    public const string ExecutionsStartedName = "jobscheduler.executions.started";
    public const string ExecutionsFinishedName = "jobscheduler.executions.finished";
    public const string AttemptsRetriedName = "jobscheduler.attempts.retried";
    public const string ExecutionsActiveName = "jobscheduler.executions.active";
    public const string NodeCpuName = "jobscheduler.node.cpu";
    public const string NodeMemoryName = "jobscheduler.node.memory";

    private static readonly Histogram<double> FireLateness = Meter.CreateHistogram<double>(
        FireLatenessName, unit: "s", description: "How late a job's fire was handled: from its due instant until its job grain handled it.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300] });

    private static readonly Counter<long> ExecutionsStarted = Meter.CreateCounter<long>(
        ExecutionsStartedName, unit: "{execution}", description: "Executions created (the first write of their row), tagged trigger (schedule|manual|dag).");

    private static readonly Counter<long> AttemptsRetried = Meter.CreateCounter<long>(
        AttemptsRetriedName, unit: "{attempt}", description: "Attempts followed by another attempt, tagged reason: failed (a retry by policy) or lost (its node died).");

    private static readonly UpDownCounter<long> ExecutionsActive = Meter.CreateUpDownCounter<long>(
        ExecutionsActiveName, unit: "{execution}", description: "Unfinished executions held by this silo, tagged state (pending|running|retrying) and priority.");

    // Every node of this process (a test may run several silos in one); weak, so a stopped silo's node goes away.
    private static readonly ConditionalWeakTable<LocalNode, object> Nodes = [];

    private static readonly ObservableGauge<long> NodeCpu = Meter.CreateObservableGauge(
        NodeCpuName, () => ObserveNodes(static (node, reserved) => (node.CpuMillis, reserved.Cpu)), unit: "{millicpu}",
        description: "This node's CPU capacity in thousandths of a core, tagged node and state: reserved (by the attempts running here) or free.");

    private static readonly ObservableGauge<long> NodeMemory = Meter.CreateObservableGauge(
        NodeMemoryName, () => ObserveNodes(static (node, reserved) => (node.MemoryMb, reserved.Memory)), unit: "MiBy",
        description: "This node's memory capacity in MiB, tagged node and state: reserved (by the attempts running here) or free.");

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

    /// <summary>Records a fire's lateness (and the fire stage's duration, which is the same interval).</summary>
    public static void RecordFire(TimeSpan lateness)
    {
        RecordStage(Fire, lateness);
        if (FireLateness.Enabled)
        {
            FireLateness.Record(lateness.TotalSeconds);
        }
    }

    public static void RecordStarted(string trigger)
    {
        if (ExecutionsStarted.Enabled)
        {
            ExecutionsStarted.Add(1, new KeyValuePair<string, object?>("trigger", trigger));
        }
    }

    /// <summary>Counts an attempt that another follows: <paramref name="lost"/> when its node died, else a retry by policy.</summary>
    public static void RecordRetry(bool lost)
    {
        if (AttemptsRetried.Enabled)
        {
            AttemptsRetried.Add(1, new KeyValuePair<string, object?>("reason", lost ? "lost" : "failed"));
        }
    }

    /// <summary>Moves one execution between the unfinished states counted by <c>jobscheduler.executions.active</c>.</summary>
    internal static void RecordActive(ExecutionState state, int priority, int delta)
    {
        ExecutionsActive.Add(delta,
            new KeyValuePair<string, object?>("state", state.ToString().ToLowerInvariant()),
            new KeyValuePair<string, object?>("priority", priority));
    }

    /// <summary>Reports <paramref name="node"/>'s capacity, reserved and free, while it lives.</summary>
    internal static void ObserveNode(LocalNode node) => Nodes.TryAdd(node, node);

    private static IEnumerable<Measurement<long>> ObserveNodes(Func<LocalNode, (int Cpu, int Memory), (int Total, int Reserved)> pick)
    {
        foreach (var (node, _) in Nodes)
        {
            var running = node.Running;
            var (total, reserved) = pick(node, (running.Sum(a => a.CpuMillis), running.Sum(a => a.MemoryMb)));
            var nodeTag = new KeyValuePair<string, object?>("node", node.Id);
            yield return new Measurement<long>(reserved, nodeTag, new KeyValuePair<string, object?>("state", "reserved"));
            yield return new Measurement<long>(Math.Max(0, total - reserved), nodeTag, new KeyValuePair<string, object?>("state", "free"));
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
