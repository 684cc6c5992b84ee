using JobScheduler.Core.Storage;
using JobScheduler.Grains.Hosting;

namespace JobScheduler.Grains.Executions;

/// <summary>
/// Keeps one execution's place in <c>jobscheduler.executions.active</c> (pending, running or retrying, by priority) and
/// counts it in <c>jobscheduler.executions.started</c> when its row is first written. Follows what was stored, after each
/// write, so the figures say what a crash would leave. One per execution activation; the activation's end takes it out.
/// </summary>
internal sealed class ExecutionGauge
{
    private (ExecutionState State, int Priority)? _counted;

    /// <summary>Called after a write of <paramref name="state"/>; <paramref name="created"/> when that write created the row.</summary>
    public void Written(ExecutionGrainState state, bool created)
    {
        if (state.Info is not { } info)
        {
            return;
        }
        var priority = state.Request?.Priority ?? 0;
        if (created)
        {
            SchedulerMetrics.RecordStarted(info.Trigger);
        }
        (ExecutionState, int)? now = info.IsTerminal ? null : (info.State, priority);
        if (now == _counted)
        {
            return;
        }
        Forget();
        if (now is { } counted)
        {
            SchedulerMetrics.RecordActive(counted.Item1, counted.Item2, +1);
            _counted = now;
        }
    }

    /// <summary>Takes this execution out of the active counts (its activation ends, or it finished).</summary>
    public void Forget()
    {
        if (_counted is { } counted)
        {
            SchedulerMetrics.RecordActive(counted.State, counted.Priority, -1);
            _counted = null;
        }
    }
}
