using System.Diagnostics;

namespace JobScheduler.Grains.Hosting;

/// <summary>
/// The scheduler's spans (ActivitySource <c>JobScheduler</c>, docs/observability.md). One execution is one trace: its
/// fire (a root span) or the trigger request that started it, then a placement span and an attempt span per attempt,
/// and the action's span inside each attempt. Executions run later, in other grain turns and after re-activations, so
/// the parent travels as a W3C <c>traceparent</c> string stored with the execution's request (written with its row,
/// once). A DAG run is one trace: the run's root span and a span per step start, its execution below it.
/// Only ids, names, kinds and outcomes become attributes; action definitions (and so their secrets) never do.
/// When nothing listens to the source, no span is created and no traceparent is stored.
/// </summary>
public static class SchedulerTracing
{
    public const string SourceName = "JobScheduler";

    public const string FireSpan = "jobscheduler.fire";
    public const string TriggerSpan = "jobscheduler.trigger";
    public const string PlacementSpan = "jobscheduler.placement";
    public const string AttemptSpan = "jobscheduler.attempt";
    public const string ActionSpan = "jobscheduler.action";
    public const string DagRunSpan = "jobscheduler.dag.run";
    public const string DagStepSpan = "jobscheduler.dag.step";

    public const string JobIdTag = "jobscheduler.job.id";
    public const string ExecutionIdTag = "jobscheduler.execution.id";
    public const string ScheduledAtTag = "jobscheduler.scheduled_at";
    public const string TriggerTag = "jobscheduler.trigger";
    public const string AttemptTag = "jobscheduler.attempt";
    public const string NodeTag = "jobscheduler.node";
    public const string ActionKindTag = "jobscheduler.action.kind";
    public const string OutcomeTag = "jobscheduler.outcome";
    public const string DagIdTag = "jobscheduler.dag.id";
    public const string DagRunIdTag = "jobscheduler.dag.run.id";
    public const string StepIdTag = "jobscheduler.dag.step.id";

    /// <summary>The environment variable a command action finds its attempt's trace context in (W3C traceparent).</summary>
    public const string TraceParentVariable = "TRACEPARENT";

    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>
    /// A fire's span: a new trace for a scheduled fire (whatever grain call woke the job), a child of the caller's span
    /// (the API request) for a trigger.
    /// </summary>
    public static Activity? StartFire(string jobId, DateTimeOffset scheduledAt, string trigger)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var scheduled = trigger == "schedule";
        var caller = Activity.Current;
        if (scheduled)
        {
            // A scanner or timer turn fires many jobs: each fire starts its own trace, linked to what woke it.
            Activity.Current = null;
        }
        var activity = Source.StartActivity(
            scheduled ? FireSpan : TriggerSpan,
            ActivityKind.Internal,
            parentContext: default,
            links: scheduled && caller is not null ? [new ActivityLink(caller.Context)] : null);
        if (activity is null)
        {
            Activity.Current = caller;
            return null;
        }
        activity.SetTag(JobIdTag, jobId);
        activity.SetTag(ScheduledAtTag, scheduledAt.ToString("O"));
        activity.SetTag(TriggerTag, trigger);
        return activity;
    }

    /// <summary>A DAG run's span: a new trace for a scheduled run, the caller's (the API request) for a manual one.</summary>
    public static Activity? StartDagRun(string dagId, string runId, string trigger)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        var caller = Activity.Current;
        var scheduled = trigger == "schedule";
        if (scheduled)
        {
            Activity.Current = null;
        }
        var activity = Source.StartActivity(DagRunSpan, ActivityKind.Internal, parentContext: default,
            links: scheduled && caller is not null ? [new ActivityLink(caller.Context)] : null);
        if (activity is null)
        {
            Activity.Current = caller;
            return null;
        }
        activity.SetTag(DagIdTag, dagId);
        activity.SetTag(DagRunIdTag, runId);
        activity.SetTag(TriggerTag, trigger);
        return activity;
    }

    /// <summary>A DAG step's span, under its run's stored context; its execution's spans go below it.</summary>
    public static Activity? StartDagStep(string? runTraceParent, string runId, string stepId, string executionId)
    {
        var activity = StartChild(DagStepSpan, runTraceParent);
        activity?.SetTag(DagRunIdTag, runId);
        activity?.SetTag(StepIdTag, stepId);
        activity?.SetTag(ExecutionIdTag, executionId);
        return activity;
    }

    /// <summary>The search for a node for one attempt.</summary>
    public static Activity? StartPlacement(string? traceParent, string executionId, int attempt)
    {
        var activity = StartChild(PlacementSpan, traceParent);
        activity?.SetTag(ExecutionIdTag, executionId);
        activity?.SetTag(AttemptTag, attempt);
        return activity;
    }

    /// <summary>One attempt, from its start on its node until its execution holds the result.</summary>
    public static Activity? StartAttempt(string? traceParent, string executionId, int attempt, string node)
    {
        var activity = StartChild(AttemptSpan, traceParent);
        activity?.SetTag(ExecutionIdTag, executionId);
        activity?.SetTag(AttemptTag, attempt);
        activity?.SetTag(NodeTag, node);
        return activity;
    }

    /// <summary>The action of one attempt, on the node that runs it.</summary>
    public static Activity? StartAction(string? traceParent, string executionId, int attempt, string kind)
    {
        var activity = StartChild(ActionSpan, traceParent);
        activity?.SetTag(ExecutionIdTag, executionId);
        activity?.SetTag(AttemptTag, attempt);
        activity?.SetTag(ActionKindTag, kind);
        return activity;
    }

    /// <summary>Records how an attempt or action ended; a span of a failed one gets the error status.</summary>
    public static void SetOutcome(Activity? activity, AttemptOutcome outcome)
    {
        if (activity is null)
        {
            return;
        }
        activity.SetTag(OutcomeTag, outcome.ToString());
        activity.SetStatus(outcome == AttemptOutcome.Succeeded ? ActivityStatusCode.Ok : ActivityStatusCode.Error);
    }

    /// <summary>The W3C traceparent of <paramref name="activity"/> (null without one), to store or to pass on.</summary>
    public static string? TraceParentOf(Activity? activity) =>
        activity is { IdFormat: ActivityIdFormat.W3C } ? activity.Id : null;

    /// <summary>
    /// A span whose parent is a stored traceparent; without one (telemetry was off when the execution started, or an
    /// execution stored before this release) the current span, if any, is the parent.
    /// </summary>
    private static Activity? StartChild(string name, string? traceParent)
    {
        if (!Source.HasListeners())
        {
            return null;
        }
        return traceParent is not null && ActivityContext.TryParse(traceParent, null, isRemote: true, out var parent)
            ? Source.StartActivity(name, ActivityKind.Internal, parent)
            : Source.StartActivity(name, ActivityKind.Internal);
    }
}
