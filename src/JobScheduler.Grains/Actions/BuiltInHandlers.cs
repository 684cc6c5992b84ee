namespace JobScheduler.Grains.Actions;

/// <summary>Built-in handler <c>noop</c>: succeeds at once. For smoke tests and benchmarks.</summary>
public sealed class NoopHandler : IJobHandler
{
    public const string Name = "noop";

    public Task ExecuteAsync(JobContext context, CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Built-in handler <c>sleep</c>: waits <c>{"ms": N}</c> milliseconds, or until cancelled.</summary>
public sealed class SleepHandler : IJobHandler
{
    public const string Name = "sleep";

    public async Task ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        var ms = context.GetPayload<SleepPayload>()?.Ms ?? 0;
        if (ms < 0)
        {
            throw new ArgumentException("sleep: payload 'ms' must not be negative.");
        }
        await Task.Delay(TimeSpan.FromMilliseconds(ms), cancellationToken);
        await context.Output.WriteLineAsync($"slept {ms} ms");
    }

    private sealed record SleepPayload(long Ms);
}
