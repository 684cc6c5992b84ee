namespace JobScheduler.Grains.Hosting;

/// <summary>
/// The clock every scheduling decision reads. Kept apart from Orleans' own <see cref="TimeProvider"/> so that tests
/// can drive the scheduler with a fake clock while the runtime keeps real time.
/// </summary>
public sealed class SchedulerClock(TimeProvider time)
{
    public TimeProvider Time { get; } = time;

    public DateTimeOffset Now => Time.GetUtcNow();

    /// <summary>
    /// Waits until the clock reads <paramref name="instant"/>. Timers may wake a fraction of a millisecond early, so the
    /// clock is read again after each wake-up: nothing waiting on this starts before its instant.
    /// </summary>
    public async Task WaitUntilAsync(DateTimeOffset instant, CancellationToken cancellationToken)
    {
        for (var left = instant - Now; left > TimeSpan.Zero; left = instant - Now)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Ceiling(left.TotalMilliseconds)), Time, cancellationToken);
        }
    }
}
