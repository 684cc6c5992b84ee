using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobScheduler.Grains.Nodes;

/// <summary>
/// Runs this silo's side of node management: at start it loads the node's drain flag and starts reporting to the
/// ledger every <see cref="NodeOptions.HeartbeatInterval"/>; on a graceful stop it drains first — no new attempts,
/// and up to <see cref="NodeOptions.DrainTimeout"/> for the running ones to finish — before the silo goes away.
/// </summary>
public sealed partial class NodeHeartbeat(
    LocalNode local,
    IGrainFactory grains,
    IOptions<NodeOptions> options,
    ILogger<NodeHeartbeat> logger) : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(NodeHeartbeat), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    /// <summary>Reports this node to the ledger now.</summary>
    public Task ReportAsync()
    {
        var usage = local.SampleUsage();
        return grains.GetGrain<ICapacityLedgerGrain>(0).ReportAsync(new NodeReport(
            local.Id, local.SiloAddress, local.CpuMillis, local.MemoryMb, local.Draining,
            usage.HostCpu, usage.HostMemoryMb, usage.ProcessCpu, usage.ProcessMemoryMb, [.. local.Running]));
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        await grains.GetGrain<ILocalNodeGrain>(local.Id).LoadAsync();
        // From now on this node's capacity, reserved and free, is in the node metrics.
        Hosting.SchedulerMetrics.ObserveNode(local);
        await ReportAsync();
        _loop = Task.Run(() => LoopAsync(_stopping.Token), CancellationToken.None);
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        local.Draining = true;
        try
        {
            await ReportAsync();
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(options.Value.DrainTimeout);
            if (local.RunningCount > 0)
            {
                LogDraining(local.Id, local.RunningCount, options.Value.DrainTimeout);
            }
            // Until every attempt has finished and its execution has collected the result (and so recorded it).
            while (local.UnsettledCount > 0 && !deadline.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200), CancellationToken.None);
            }
            // Whatever still runs is stopped rather than orphaned; its executions run it again elsewhere (as lost).
            local.CancelAll();
        }
        catch (Exception ex)
        {
            LogReportFailed(ex, local.Id);
        }
        await _stopping.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task LoopAsync(CancellationToken stopping)
    {
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.Value.HeartbeatInterval, stopping);
                await ReportAsync();
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogReportFailed(ex, local.Id);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId} could not report to the capacity ledger")]
    private partial void LogReportFailed(Exception exception, string nodeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} is draining: waiting up to {Timeout} for {Count} running attempt(s)")]
    private partial void LogDraining(string nodeId, int count, TimeSpan timeout);
}
