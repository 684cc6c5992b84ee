using JobScheduler.Grains.Hosting;
using JobScheduler.Grains.Nodes;
using Microsoft.Extensions.Logging;

namespace JobScheduler.Grains.Jobs;

/// <summary>
/// A job's wake-ups while it is active: a precise in-memory timer on the scheduler clock, armed for <c>nextFireAt</c>
/// (millisecond precision; Orleans reminders cannot go below one minute, and a timer costs no storage). After an idle
/// deactivation or a restart the cluster's <see cref="DueJobsScannerGrain"/> re-activates the job shortly before its
/// next fire; the job keeps no durable reminder of its own (docs/scale.md says why).
/// One per job (or DAG) activation; runs on the grain's scheduler, except the timer callback, which re-enters through a
/// grain call (<paramref name="fireDue"/>, the grain's own <c>FireDueAsync</c> through its reference).
/// </summary>
internal sealed partial class JobWakeUps(Grain grain, Func<Task> fireDue, SchedulerClock clock, ILogger logger)
{
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromHours(1);

    private ITimer? _timer;

    private string JobId => grain.GetPrimaryKeyString();

    /// <summary>Drops the timer.</summary>
    public void Disarm()
    {
        _timer?.Dispose();
        _timer = null;
    }

    /// <summary>Arms the timer for <paramref name="next"/> (null: the job is not active or has no next fire), or in <paramref name="retryIn"/>.</summary>
    public void Arm(DateTimeOffset? next, TimeSpan? retryIn = null)
    {
        Disarm();
        if (next is not { } instant)
        {
            return;
        }
        var due = retryIn ?? instant - clock.Now;
        // Rounded up to whole milliseconds so the timer never fires just before the instant.
        due = due <= TimeSpan.Zero ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Ceiling(due.TotalMilliseconds));
        if (due > MaxTimerDue)
        {
            due = MaxTimerDue;
        }
        _timer = clock.Time.CreateTimer(static wakeUps => ((JobWakeUps)wakeUps!).OnTimer(), this, due, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Runs on a timer thread, outside the grain: re-enters through a grain call so the turn-based guarantees hold.</summary>
    private void OnTimer() => _ = FireFromTimerAsync();

    private async Task FireFromTimerAsync()
    {
        try
        {
            await fireDue();
        }
        catch (Exception ex) when (FailoverExceptions.IsExpected(ex))
        {
            LogTimerFireFailedInFailover(JobId, FailoverExceptions.Describe(ex));
        }
        catch (Exception ex)
        {
            LogTimerFireFailed(ex, JobId);
        }
    }

    /// <summary>Removes a reminder left by a release that kept one per job.</summary>
    public async Task RemoveReminderAsync(string name)
    {
        if (await grain.GetReminder(name) is { } reminder)
        {
            await grain.UnregisterReminder(reminder);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{JobId} could not fire from its timer; the due-jobs scanner wakes it again before its next fire")]
    private partial void LogTimerFireFailed(Exception exception, string jobId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{JobId} could not fire from its timer while a silo failed over ({Failure}); the due-jobs scanner wakes it again before its next fire")]
    private partial void LogTimerFireFailedInFailover(string jobId, string failure);
}
