using JobScheduler.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobScheduler.Grains.Hosting;

/// <summary>
/// Background upkeep of a silo, started once the silo is active and repeated every
/// <see cref="JobSchedulerOptions.MaintenanceInterval"/>:
/// <list type="bullet">
/// <item>recovery: executions stored as unfinished are pinged, so that one whose process died is
/// re-activated (its interrupted attempt recorded as <c>lost</c> and run again) — the first sweep runs at start-up,
/// so this takes seconds after a restart rather than the next reminder tick;</item>
/// <item>the cluster's due-jobs scanner (<see cref="Jobs.DueJobsScannerGrain"/>) is made sure to run, so that jobs due
/// soon are woken and their precise timers armed right after a restart (its reminder would otherwise take up to a
/// minute);</item>
/// <item>retention by age: executions finished longer ago than <see cref="JobSchedulerOptions.MaxExecutionAge"/> are
/// dropped — by one silo only, the oldest active one in the cluster's membership (every silo sees the same membership,
/// so exactly one finds itself the owner; when it dies the next oldest takes over at its next sweep).</item>
/// </list>
/// Pinging an execution or job that is already active elsewhere is harmless: the call simply reaches it.
/// </summary>
internal sealed partial class SchedulerMaintenance(
    IJobCatalog catalog,
    IDagCatalog dags,
    IGrainFactory grains,
    SchedulerClock clock,
    TimeProvider time,
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    IOptionsMonitor<JobSchedulerOptions> options,
    ILogger<SchedulerMaintenance> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private const int BatchSize = 1000;

    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(SchedulerMaintenance), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => RunAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(stopping);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                LogSweepFailed(ex);
            }
            try
            {
                await Task.Delay(options.CurrentValue.MaintenanceInterval, time, stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    internal async Task SweepAsync(CancellationToken cancellationToken)
    {
        if (catalog.IsDurable)
        {
            var unfinished = await catalog.FindUnfinishedExecutionsAsync(BatchSize, cancellationToken);
            await Task.WhenAll(unfinished.Select(id => grains.GetGrain<IExecutionGrain>(id).GetAsync()));
            if (unfinished.Count > 0)
            {
                LogSwept(unfinished.Count);
            }
            // DAG runs too: a re-activated run re-attaches to its steps' executions and starts what they unblocked.
            var runs = await dags.FindUnfinishedRunsAsync(BatchSize, cancellationToken);
            await Task.WhenAll(runs.Select(id => grains.GetGrain<IDagRunGrain>(id).GetAsync()));
        }
        await grains.GetGrain<Jobs.IDueJobsScannerGrain>(0).EnsureAsync();
        if (options.CurrentValue.MaxExecutionAge is { } maxAge && IsRetentionOwner())
        {
            var dropped = await catalog.DeleteExecutionsFinishedBeforeAsync(clock.Now - maxAge, BatchSize, cancellationToken);
            dropped += await dags.DeleteRunsFinishedBeforeAsync(clock.Now - maxAge, BatchSize, cancellationToken);
            if (dropped > 0)
            {
                LogPruned(dropped, maxAge);
            }
        }
    }

    /// <summary>Whether this silo is the oldest active one, which alone applies retention by age.</summary>
    // Before this silo sees itself active in membership, nobody is known to own it: the next sweep decides.
    private bool IsRetentionOwner() => OldestActiveSilo.Is(silo.SiloAddress, membership.CurrentSnapshot);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Scheduler maintenance sweep failed; it runs again at the next interval")]
    private partial void LogSweepFailed(Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Maintenance pinged {Executions} unfinished execution(s)")]
    private partial void LogSwept(int executions);

    [LoggerMessage(Level = LogLevel.Information, Message = "Retention dropped {Count} execution(s) and DAG run(s) finished more than {MaxAge} ago")]
    private partial void LogPruned(int count, TimeSpan maxAge);
}
