using JobScheduler.Core.Nodes;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;

namespace JobScheduler.Grains.Nodes;

/// <summary>
/// The capacity ledger: one per cluster, in memory, rebuilt from the nodes' heartbeats when it moves. Being a single
/// grain, it takes reservations one at a time, so two placements can never overbook a node. The bookkeeping and every
/// decision (which node, queue order, no back-filling, down nodes) are <see cref="CapacityLedger"/>'s; this grain
/// feeds it membership, reports and the time, and tells executions when their turn comes.
/// </summary>
/// <remarks>
/// Reentrant so that <see cref="CheckFitsAsync"/> can wait for the first heartbeat while reports come in. That is safe
/// because it is the only method that awaits: every other one (and the timer) runs start to end in one turn, so the
/// books are never seen half-changed.
/// </remarks>
[Reentrant]
[GrainType("cluster-nodes")]
public sealed partial class ClusterNodesGrain(
    IClusterMembershipService membership,
    TimeProvider time,
    ILogger<ClusterNodesGrain> logger) : Grain, ICapacityLedgerGrain
{
    private static readonly TimeSpan CheckPeriod = TimeSpan.FromSeconds(1);

    /// <summary>How long a fresh ledger waits for a first heartbeat before judging a request's size (nodes report every 2 s).</summary>
    internal static readonly TimeSpan FirstReportWait = TimeSpan.FromSeconds(5);

    private readonly CapacityLedger _ledger = new();

    /// <summary>The start of this activation's monotonic clock, on which heartbeats' ages are measured.</summary>
    private readonly long _started = time.GetTimestamp();

    /// <summary>The last report of each node, for what <see cref="GetNodesAsync"/> shows beyond the ledger's books.</summary>
    private readonly Dictionary<string, NodeReport> _reports = new(StringComparer.Ordinal);

    private readonly TaskCompletionSource _firstReport = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Notices dead nodes promptly: their reservations are dropped (the executions re-dispatch the lost attempts).
        this.RegisterGrainTimer(CheckNodesAsync, new GrainTimerCreationOptions { DueTime = CheckPeriod, Period = CheckPeriod, KeepAlive = true });
        return Task.CompletedTask;
    }

    public Task<string?> ReserveAsync(CapacityRequest request)
    {
        CheckNodes();
        var node = _ledger.Reserve(request);
        if (node is null)
        {
            LogQueued(request.ExecutionId, request.Priority, _ledger.Waiting);
        }
        return Task.FromResult(node);
    }

    public Task ReleaseAsync(string executionId)
    {
        Tell(_ledger.Release(executionId));
        return Task.CompletedTask;
    }

    public Task ReportAsync(NodeReport report)
    {
        _reports[report.NodeId] = report;
        _firstReport.TrySetResult();
        var (joined, grants) = _ledger.Report(
            new CapacityReport(report.NodeId, report.SiloAddress, report.CpuMillis, report.MemoryMb, report.Draining, report.CpuUsagePercent,
                [.. report.Running.Select(r => new CapacityRequest(r.ExecutionId, r.Attempt, r.CpuMillis, r.MemoryMb, 0, default))]),
            time.GetUtcNow(), time.GetElapsedTime(_started));
        if (joined)
        {
            LogNodeJoined(report.NodeId, report.CpuMillis, report.MemoryMb);
        }
        Tell(grants);
        return Task.CompletedTask;
    }

    public Task<NodeInfo[]> GetNodesAsync()
    {
        CheckNodes();
        return Task.FromResult(_ledger.Nodes.Select(n =>
        {
            var usage = _reports.GetValueOrDefault(n.Id);
            return new NodeInfo
            {
                Id = n.Id,
                SiloAddress = n.SiloAddress,
                State = n.Dead ? NodeState.Down : n.Draining ? NodeState.Draining : NodeState.Active,
                CpuMillis = n.CpuMillis,
                MemoryMb = n.MemoryMb,
                ReservedCpuMillis = n.ReservedCpu,
                ReservedMemoryMb = n.ReservedMemory,
                Running = [.. n.Running.Union(n.Dead ? [] : usage?.Running.Select(r => r.ExecutionId) ?? [], StringComparer.Ordinal).Order(StringComparer.Ordinal)],
                CpuUsagePercent = usage?.CpuUsagePercent ?? 0,
                MemoryUsedMb = usage?.MemoryUsedMb ?? 0,
                ProcessCpuPercent = usage?.ProcessCpuPercent ?? 0,
                ProcessMemoryMb = usage?.ProcessMemoryMb ?? 0,
                LastHeartbeat = n.LastHeartbeat,
                PendingInCluster = _ledger.Waiting,
            };
        }).ToArray());
    }

    public async Task<FieldError[]> CheckFitsAsync(ResourceRequest resources)
    {
        if (!_ledger.HasReports)
        {
            // A fresh ledger (just activated, or moved after its silo died) knows no node yet: wait, without blocking the
            // reports, for the first heartbeat rather than accept a size no node could ever offer.
            try
            {
                await _firstReport.Task.WaitAsync(FirstReportWait, time);
            }
            catch (TimeoutException)
            {
                // Still no node: nothing to judge by, so the request is accepted (it waits in the queue until a node fits).
            }
        }
        return _ledger.CheckFits(resources.CpuMillis, resources.MemoryMb);
    }

    private Task CheckNodesAsync(CancellationToken cancellationToken)
    {
        if (CheckNodes())
        {
            Tell(_ledger.Dispatch());
        }
        return Task.CompletedTask;
    }

    /// <summary>Hands the ledger the membership view and the time; true when a node went down (capacity to re-dispatch).</summary>
    private bool CheckNodes()
    {
        var members = membership.CurrentSnapshot.Members.Values
            .Select(m => new MemberSilo(LocalNode.IdOf(m.SiloAddress), m.SiloAddress.ToParsableString(), m.Status == SiloStatus.Active, m.Status == SiloStatus.Dead))
            .ToList();
        var changes = _ledger.CheckNodes(members, time.GetUtcNow(), time.GetElapsedTime(_started));
        foreach (var id in changes.Down)
        {
            LogNodeDown(id);
        }
        foreach (var id in changes.Forgotten)
        {
            _reports.Remove(id);
            LogNodeForgotten(id);
        }
        return changes.Down.Count > 0;
    }

    /// <summary>Tells each execution whose waiting reservation was granted (one-way).</summary>
    private void Tell(IReadOnlyList<CapacityGrant> grants)
    {
        foreach (var grant in grants)
        {
            GrainFactory.GetGrain<IPlacementListener>(grant.ExecutionId).PlacedAsync(grant.Attempt, grant.NodeId).Ignore();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} joined with {CpuMillis} millicores and {MemoryMb} MB")]
    private partial void LogNodeJoined(string nodeId, int cpuMillis, int memoryMb);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId} is down; its attempts are re-dispatched")]
    private partial void LogNodeDown(string nodeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} has been down for longer than the retention and is forgotten")]
    private partial void LogNodeForgotten(string nodeId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Execution {ExecutionId} (priority {Priority}) waits for capacity; {Waiting} waiting")]
    private partial void LogQueued(string executionId, int priority, int waiting);
}
