using System.Collections.Concurrent;

namespace JobScheduler.Benchmarks;

/// <summary>
/// The benchmark's action: does nothing, like <c>noop</c>, but notes when it really started and ended, so that lateness
/// is measured where a user's code would feel it: after the scheduler's timer, its grain calls and the execution's first
/// write (the attempt's <c>startedAt</c> is stamped before that write). The end is what a DAG step's dependants wait
/// for (the dag workload's step-to-step latency runs from it). The server runs in this process, so the notes are taken
/// on the same clock as the due instants.
/// </summary>
internal sealed class ProbeHandler : IJobHandler
{
    public const string Name = "probe";

    private static readonly ConcurrentDictionary<string, DateTimeOffset> Starts = new(StringComparer.Ordinal);
    private static readonly ConcurrentDictionary<string, DateTimeOffset> Ends = new(StringComparer.Ordinal);

    /// <summary>When the first attempt of <paramref name="executionId"/> started its action, if it did.</summary>
    public static DateTimeOffset? StartOf(string executionId) => Starts.TryGetValue(executionId, out var at) ? at : null;

    /// <summary>When the first attempt of <paramref name="executionId"/> ended its action, if it did.</summary>
    public static DateTimeOffset? EndOf(string executionId) => Ends.TryGetValue(executionId, out var at) ? at : null;

    public Task ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        Starts.TryAdd(context.ExecutionId, DateTimeOffset.UtcNow);
        Ends.TryAdd(context.ExecutionId, DateTimeOffset.UtcNow);
        return Task.CompletedTask;
    }
}
