using JobScheduler.Core.Nodes;
using Orleans.Concurrency;

namespace JobScheduler.Grains.Nodes;

/// <summary>The ledger's side used by the silos: reservations, releases and node reports.</summary>
[Alias("JobScheduler.ICapacityLedgerGrain")]
public interface ICapacityLedgerGrain : IClusterNodesGrain
{
    /// <summary>
    /// Reserves capacity for an attempt on the least loaded node that fits, atomically. Returns the node id, or null
    /// when nothing fits now: the request then waits in priority order and the execution is told through
    /// <see cref="IPlacementListener.PlacedAsync"/> when capacity frees. Idempotent per execution.
    /// </summary>
    [Alias("Reserve")]
    Task<string?> ReserveAsync(CapacityRequest request);

    /// <summary>Frees what an execution holds (or stops it waiting).</summary>
    [Alias("Release")]
    Task ReleaseAsync(string executionId);

    /// <summary>A node's heartbeat: capacity, drain flag, usage, and the attempts it runs (rebuilds the ledger after a failover).</summary>
    [Alias("Report")]
    Task ReportAsync(NodeReport report);
}

/// <summary>Told when a waiting reservation has been granted.</summary>
[Alias("JobScheduler.IPlacementListener")]
public interface IPlacementListener : IGrainWithStringKey
{
    [OneWay, Alias("Placed")]
    Task PlacedAsync(int attempt, string nodeId);
}

[GenerateSerializer, Immutable, Alias("JobScheduler.NodeReport")]
public sealed record NodeReport(
    string NodeId,
    string SiloAddress,
    int CpuMillis,
    int MemoryMb,
    bool Draining,
    double CpuUsagePercent,
    long MemoryUsedMb,
    double ProcessCpuPercent,
    long ProcessMemoryMb,
    RunningAttempt[] Running);
