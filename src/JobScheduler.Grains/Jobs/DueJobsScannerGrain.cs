using JobScheduler.Core.Storage;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace JobScheduler.Grains.Jobs;

/// <summary>Wakes the jobs and DAGs that are due soon; one per cluster, key 0.</summary>
[Alias("JobScheduler.IDueJobsScannerGrain")]
public interface IDueJobsScannerGrain : IGrainWithIntegerKey
{
    /// <summary>Makes sure the scanner runs (its durable reminder exists and its timer is armed); idempotent.</summary>
    [Alias("Ensure")]
    Task EnsureAsync();

    /// <summary>Wakes every active job whose next fire is within <see cref="DueJobsScannerGrain.Window"/> now; returns how many.</summary>
    [Alias("Scan")]
    Task<int> ScanAsync();

    /// <summary>
    /// Reads the whole window now, overdue jobs included, and wakes what it finds; returns how many. Called when a silo
    /// is declared dead (<see cref="Hosting.LostSiloRescan"/>): the timers of the jobs it held died with it, and their
    /// next fires lie in slices already read. Repeated once <see cref="DueJobsScannerGrain.RescanRepeat"/> later.
    /// </summary>
    [Alias("Rescan")]
    Task<int> RescanAsync();
}

/// <summary>
/// The durable trigger of every job. Rather than one Orleans reminder per job — which the reminder service re-reads,
/// every row, every five minutes on every silo, however far away the fires are (docs/scale.md) — the cluster has one
/// reminder, this grain's, and this grain asks the store which jobs fire within the next <see cref="Window"/> (an index
/// range over <c>next_fire_at</c>: the rows read are the jobs due, not all jobs) and wakes them. A woken job arms its
/// own precise timer and fires on time; a job far from its next fire is a row, not an activation. While active the
/// scan repeats every <see cref="Interval"/>; the reminder (every minute) re-activates the scanner after a restart or
/// the loss of its silo, and every silo's maintenance pings it at start-up.
/// <para>
/// A scan reads only the slice of time the previous one did not cover (jobs due after its window's end), so a job is
/// read about once per fire; every <see cref="FullScanInterval"/>, and whenever the scanner (re)starts, it reads the
/// whole window, overdue jobs included, which catches a job whose wake-up was lost. A silo's death is not left to that
/// periodic scan: <see cref="RescanAsync"/> reads the whole window as soon as the death is known.
/// </para>
/// </summary>
[GrainType("due-jobs-scanner")]
public sealed partial class DueJobsScannerGrain(
    IJobCatalog catalog,
    IDagCatalog dags,
    SchedulerClock clock,
    ILogger<DueJobsScannerGrain> logger) : Grain, IDueJobsScannerGrain, IRemindable
{
    /// <summary>How far ahead a job is woken: enough for a late scan, short enough that idle jobs are not held in memory.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    /// <summary>How often an active scanner scans.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(15);

    /// <summary>How often a scan reads the whole window rather than the slice after the previous scan's.</summary>
    public static readonly TimeSpan FullScanInterval = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long after a rescan it is repeated, once. A wake sent the moment a silo's death became known can still be
    /// routed to that silo, which the grain directory only forgets a moment later (a chaos run logged the rescan's own
    /// call failing so, on a scanner that had lived there); such a wake is lost, and the repeat sends it again.
    /// </summary>
    public static readonly TimeSpan RescanRepeat = TimeSpan.FromSeconds(5);

    private const string ReminderName = "due-jobs";
    private const int Page = 1000;
    private IGrainTimer? _timer;
    private IGrainTimer? _repeat;
    private bool _reminderRegistered;
    private DateTimeOffset? _scannedUpTo;
    private DateTimeOffset _lastFullScan;

    public async Task EnsureAsync()
    {
        if (!_reminderRegistered)
        {
            await this.RegisterOrUpdateReminder(ReminderName, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
            _reminderRegistered = true;
        }
        _timer ??= this.RegisterGrainTimer(
            static (self, _) => self.ScanAsync(),
            this,
            new GrainTimerCreationOptions { DueTime = TimeSpan.Zero, Period = Interval, KeepAlive = true });
    }

    public async Task<int> ScanAsync()
    {
        var now = clock.Now;
        var before = now + Window;
        var full = _scannedUpTo is null || now - _lastFullScan >= FullScanInterval;
        var dueAfter = full ? null : _scannedUpTo;
        var woken = 0;
        string? after = null;
        while (true)
        {
            var due = await catalog.FindJobsDueAsync(before, Page, after, dueAfter);
            // One-way: a job's activation (its state read) is its own business; the scan only says "you are due soon".
            foreach (var id in due)
            {
                GrainFactory.GetGrain<IJobGrain>(id).WakeAsync().Ignore();
            }
            woken += due.Count;
            if (due.Count < Page)
            {
                break;
            }
            after = due[^1];
        }
        after = null;
        while (true)
        {
            // Scheduled DAGs wake the same way.
            var due = await dags.FindDagsDueAsync(before, Page, after, dueAfter);
            foreach (var id in due)
            {
                GrainFactory.GetGrain<IDagGrain>(id).WakeAsync().Ignore();
            }
            woken += due.Count;
            if (due.Count < Page)
            {
                break;
            }
            after = due[^1];
        }
        _scannedUpTo = before;
        if (full)
        {
            _lastFullScan = now;
        }
        if (woken > 0)
        {
            LogWoken(woken, Window);
        }
        return woken;
    }

    public async Task<int> RescanAsync()
    {
        var woken = await FullScanAsync();
        _repeat?.Dispose();
        _repeat = this.RegisterGrainTimer(
            static (self, _) => self.FullScanAsync(),
            this,
            new GrainTimerCreationOptions { DueTime = RescanRepeat, Period = Timeout.InfiniteTimeSpan });
        // Then re-arms the periodic scan: the scanner itself may have died with the silo.
        await EnsureAsync();
        return woken;
    }

    private Task<int> FullScanAsync()
    {
        _scannedUpTo = null;
        return ScanAsync();
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        _reminderRegistered = true;
        await EnsureAsync();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Woke {Count} job(s) due within {Window}")]
    private partial void LogWoken(int count, TimeSpan window);
}
