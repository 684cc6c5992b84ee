namespace JobScheduler.Grains.Dags;

/// <summary>
/// A DAG run's timer for the earliest <c>waitFor</c> deadline of its waiting steps. It keeps the activation alive while
/// a step waits (an idle run with no waiting step may deactivate: its steps' reports re-activate it). One per run
/// activation; runs on the grain's scheduler.
/// </summary>
internal sealed class WaitDeadlineTimer(Grain grain, Func<Task> onDeadline)
{
    private IGrainTimer? _timer;

    /// <summary>Arms the timer for <paramref name="deadline"/>, or drops it when there is none.</summary>
    public void Arm(DateTimeOffset? deadline, DateTimeOffset now)
    {
        Disarm();
        if (deadline is not { } at)
        {
            return;
        }
        var due = at - now;
        _timer = grain.RegisterGrainTimer(
            static (fire, _) => fire(),
            onDeadline,
            new GrainTimerCreationOptions { DueTime = due < TimeSpan.Zero ? TimeSpan.Zero : due, Period = Timeout.InfiniteTimeSpan, KeepAlive = true });
    }

    public void Disarm()
    {
        _timer?.Dispose();
        _timer = null;
    }
}
