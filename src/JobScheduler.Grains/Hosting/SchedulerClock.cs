namespace JobScheduler.Grains.Hosting;

/// <summary>
/// The clock every scheduling decision reads. Kept apart from Orleans' own <see cref="TimeProvider"/> so that tests
/// can drive the scheduler with a fake clock while the runtime keeps real time.
/// </summary>
public sealed class SchedulerClock(TimeProvider time)
{
    public TimeProvider Time { get; } = time;

    public DateTimeOffset Now => Time.GetUtcNow();
}
