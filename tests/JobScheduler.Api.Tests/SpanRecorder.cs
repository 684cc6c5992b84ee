using System.Collections.Concurrent;
using System.Diagnostics;

namespace JobScheduler.Api.Tests;

/// <summary>
/// Records every span that ends in this process while it lives, and starts a test's root span so that the test's
/// requests (and whatever they cause in the server, which runs in the same process) share one trace. Other tests run at
/// the same time, so spans are always read by trace id.
/// </summary>
internal sealed class SpanRecorder : IDisposable
{
    private static readonly ActivitySource TestSource = new("JobScheduler.Api.Tests");

    private readonly ConcurrentQueue<Activity> _stopped = new();
    private readonly ActivityListener _listener;

    public SpanRecorder()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    /// <summary>A new root span; while it is current, the test's HTTP requests carry its trace.</summary>
    public static Activity StartRoot(string name) =>
        TestSource.StartActivity(name, ActivityKind.Client, parentContext: default) ?? throw new InvalidOperationException("The test's span was not created.");

    /// <summary>The ended spans of <paramref name="traceId"/>.</summary>
    public IReadOnlyList<Activity> Trace(ActivityTraceId traceId) => [.. _stopped.Where(a => a.TraceId == traceId)];

    /// <summary>
    /// Waits until the spans of <paramref name="traceId"/> satisfy <paramref name="complete"/>: a span ends just after
    /// the result it covers is delivered, so a test that saw the result may look a moment before the span is recorded.
    /// </summary>
    public async Task<IReadOnlyList<Activity>> WaitForTraceAsync(ActivityTraceId traceId, Func<IReadOnlyList<Activity>, bool> complete)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var spans = Trace(traceId);
            if (complete(spans) || deadline.Elapsed > DagRest.Patience)
            {
                return spans;
            }
            await Task.Delay(20);
        }
    }

    public void Dispose() => _listener.Dispose();
}
