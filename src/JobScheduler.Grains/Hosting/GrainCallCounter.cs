using System.Collections.Concurrent;

namespace JobScheduler.Grains.Hosting;

/// <summary>
/// Counts the grain calls a silo receives to the scheduler's own interfaces (<c>jobscheduler.grain.calls</c>, see
/// <see cref="SchedulerMetrics"/>): the number of calls per execution is the messaging cost of the design, which
/// timings alone do not show. Incoming filters also see system-target calls (timer callbacks, the reminder service,
/// load publishing) and Orleans' own grains; only interfaces whose namespace starts with <c>JobScheduler</c> count.
/// Every call passes through here, so the decision and the tag are cached per interface type: a dictionary lookup
/// and no allocation per call.
/// </summary>
internal sealed class GrainCallCounter : IIncomingGrainCallFilter
{
    /// <summary>Per interface type: its tag, or null when it is not one of ours.</summary>
    private static readonly ConcurrentDictionary<Type, KeyValuePair<string, object?>?> Tags = new();

    private static readonly Func<Type, KeyValuePair<string, object?>?> TagOf = type =>
        type.Namespace?.StartsWith("JobScheduler", StringComparison.Ordinal) == true
            ? new KeyValuePair<string, object?>("interface", type.Name)
            : null;

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.Request.GetInterfaceType() is { } type && Tags.GetOrAdd(type, TagOf) is { } tag)
        {
            SchedulerMetrics.RecordGrainCall(tag);
        }
        return context.Invoke();
    }
}
