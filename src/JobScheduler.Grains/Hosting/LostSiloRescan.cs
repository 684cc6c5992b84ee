using Microsoft.Extensions.Logging;

namespace JobScheduler.Grains.Hosting;

/// <summary>
/// Fires on time what a dead silo was about to fire. A job due soon waits on an in-memory timer in its activation; when
/// its silo dies (killed, or frozen past the membership timeout) the timer dies too, and the due-jobs scanner's periodic
/// slices never read the job again: its next fire lies in a slice already read. It would wait for the scanner's next
/// full scan, up to <see cref="Jobs.DueJobsScannerGrain.FullScanInterval"/> (docs/reliability.md, finding 15). So
/// every membership change that declares a silo dead makes the oldest active silo (<see cref="OldestActiveSilo"/>) ask
/// the scanner to read its whole window at once, overdue jobs included: each job found is activated on a live silo,
/// where its misfire policy decides what its late instant gets.
/// </summary>
internal sealed partial class LostSiloRescan(
    IClusterMembershipService membership,
    ILocalSiloDetails silo,
    IGrainFactory grains,
    TimeProvider time,
    ILogger<LostSiloRescan> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private const int Attempts = 3;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(LostSiloRescan), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => WatchAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync();
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task WatchAsync(CancellationToken stopping)
    {
        // Silos dead before this one started are the scanner's start-up full scan's business, not a loss seen here.
        var known = DeadIn(membership.CurrentSnapshot).ToHashSet();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stopping))
            {
                var lost = DeadIn(snapshot).Where(known.Add).ToList();
                if (lost.Count > 0 && OldestActiveSilo.Is(silo.SiloAddress, snapshot))
                {
                    await RescanAsync(lost, stopping);
                }
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
        }
    }

    private static IEnumerable<SiloAddress> DeadIn(ClusterMembershipSnapshot snapshot) =>
        snapshot.Members.Values.Where(m => m.Status == SiloStatus.Dead).Select(m => m.SiloAddress);

    private async Task RescanAsync(List<SiloAddress> lost, CancellationToken stopping)
    {
        var silos = string.Join(", ", lost.Select(s => s.ToParsableString()));
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var woken = await grains.GetGrain<Jobs.IDueJobsScannerGrain>(0).RescanAsync();
                LogRescanned(silos, woken);
                return;
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested && attempt < Attempts)
            {
                LogRescanRetried(silos, attempt, ex.Message);
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                LogRescanFailed(ex, silos);
                return;
            }
            await Task.Delay(RetryDelay, time, stopping);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Silo {Silos} declared dead: the due-jobs scanner re-read its window and woke {Woken} job(s) and DAG(s)")]
    private partial void LogRescanned(string silos, int woken);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Silo {Silos} declared dead: asking the due-jobs scanner to re-read its window failed (attempt {Attempt}: {Failure}); trying again")]
    private partial void LogRescanRetried(string silos, int attempt, string failure);

    [LoggerMessage(Level = LogLevel.Error, Message = "Silo {Silos} declared dead: the due-jobs scanner could not re-read its window; its next full scan wakes the jobs that silo held")]
    private partial void LogRescanFailed(Exception exception, string silos);
}
