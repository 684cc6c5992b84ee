using System.Diagnostics;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace JobScheduler.Grains.Jobs;

/// <summary>
/// A job's two wake-ups:
/// <list type="bullet">
/// <item>a precise in-memory timer on the scheduler clock, armed for <c>nextFireAt</c> while the grain is active
/// (millisecond precision; Orleans reminders cannot go below one minute);</item>
/// <item>a durable reminder, the backstop that re-activates the grain after deactivation or a restart: it first
/// ticks <see cref="ReminderLead"/> before the next fire, then every minute, and is moved forward only when the
/// next fire is far away, so frequent jobs cost no reminder writes per fire.</item>
/// </list>
/// One per job activation; runs on the grain's scheduler, except the timer callback, which re-enters through a grain call.
/// </summary>
internal sealed partial class JobWakeUps(JobGrain grain, IJobGrain self, SchedulerClock clock, ILogger logger)
{
    internal const string ReminderName = "fire";
    internal static readonly TimeSpan ReminderPeriod = TimeSpan.FromMinutes(1);
    internal static readonly TimeSpan ReminderLead = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReminderSlack = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan MaxTimerDue = TimeSpan.FromHours(1);

    private ITimer? _timer;
    private DateTimeOffset? _reminderFirstTick;
    private bool _reminderChecked;

    private string JobId => grain.GetPrimaryKeyString();

    /// <summary>The reminder ticked: it exists, whatever this activation remembered.</summary>
    public void ReminderTicked() => _reminderChecked = true;

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
            await self.FireDueAsync();
        }
        catch (Exception ex)
        {
            LogTimerFireFailed(ex, JobId);
        }
    }

    /// <summary>Keeps the durable reminder in step with <paramref name="next"/> (null: none needed), writing it only when it must move.</summary>
    public async Task SyncReminderAsync(DateTimeOffset? next)
    {
        var now = clock.Now;
        if (next is not { } instant)
        {
            if (_reminderFirstTick is not null || !_reminderChecked)
            {
                if (await grain.GetReminder(ReminderName) is { } reminder)
                {
                    await grain.UnregisterReminder(reminder);
                }
                _reminderFirstTick = null;
                _reminderChecked = true;
            }
            return;
        }
        if (_reminderFirstTick is { } first && first <= instant && instant - now <= ReminderSlack)
        {
            return;
        }
        var due = instant - ReminderLead - now;
        if (due < TimeSpan.FromSeconds(1))
        {
            // A zero due time can lose the first tick in Orleans; a second is ample since the timer does the precise work.
            due = TimeSpan.FromSeconds(1);
        }
        var writing = Stopwatch.GetTimestamp();
        await grain.RegisterOrUpdateReminder(ReminderName, due, ReminderPeriod);
        SchedulerMetrics.RecordStage(SchedulerMetrics.Reminder, writing);
        _reminderFirstTick = now + due;
        _reminderChecked = true;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Job {JobId} could not fire from its timer; the reminder will retry")]
    private partial void LogTimerFireFailed(Exception exception, string jobId);
}
