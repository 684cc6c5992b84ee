using Orleans.Concurrency;

namespace JobScheduler;

/// <summary>Whether a node takes new work.</summary>
public enum NodeState
{
    /// <summary>Takes new attempts.</summary>
    Active = 0,
    /// <summary>Takes no new attempts; the running ones finish.</summary>
    Draining = 1,
    /// <summary>Its silo is dead (Orleans membership) or has stopped reporting.</summary>
    Down = 2,
}

/// <summary>A worker node: one silo, its capacity, what is reserved on it and what it really uses.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.NodeInfo")]
public sealed record NodeInfo
{
    /// <summary>The silo's <c>host:port</c>, as attempts show it in <c>node</c>.</summary>
    [Id(0)] public string Id { get; init; } = "";

    /// <summary>The full silo address, with its generation.</summary>
    [Id(1)] public string SiloAddress { get; init; } = "";
    [Id(2)] public NodeState State { get; init; }
    [Id(3)] public int CpuMillis { get; init; }
    [Id(4)] public int MemoryMb { get; init; }
    [Id(5)] public int ReservedCpuMillis { get; init; }
    [Id(6)] public int ReservedMemoryMb { get; init; }

    /// <summary>Executions whose current attempt runs (or is reserved) here.</summary>
    [Id(7)] public string[] Running { get; init; } = [];

    /// <summary>CPU in use on the node's host, in percent of all its cores (0–100).</summary>
    [Id(8)] public double CpuUsagePercent { get; init; }

    /// <summary>Memory in use on the node's host.</summary>
    [Id(9)] public long MemoryUsedMb { get; init; }
    [Id(10)] public DateTimeOffset? LastHeartbeat { get; init; }

    /// <summary>Executions waiting for capacity anywhere in the cluster (reported on every node for convenience).</summary>
    [Id(11)] public int PendingInCluster { get; init; }

    /// <summary>CPU used by the silo process itself, in percent of one core.</summary>
    [Id(12)] public double ProcessCpuPercent { get; init; }

    /// <summary>Working set of the silo process.</summary>
    [Id(13)] public long ProcessMemoryMb { get; init; }
}

/// <summary>One worker node (silo), keyed by its <c>host:port</c>.</summary>
[Alias("JobScheduler.INodeGrain")]
public interface INodeGrain : IGrainWithStringKey
{
    /// <summary>Sets <see cref="NodeState.Draining"/> or <see cref="NodeState.Active"/>; remembered across restarts of the node.</summary>
    [Alias("SetState")]
    Task<NodeInfo?> SetStateAsync(NodeState state);
}

/// <summary>The cluster's capacity ledger: every node's capacity and reservations, and the queue of waiting attempts.</summary>
[Alias("JobScheduler.IClusterNodesGrain")]
public interface IClusterNodesGrain : IGrainWithIntegerKey
{
    [Alias("GetNodes"), AlwaysInterleave]
    Task<NodeInfo[]> GetNodesAsync();

    /// <summary>Errors when no node could ever satisfy <paramref name="resources"/> (empty when one could).</summary>
    [Alias("CheckFits"), AlwaysInterleave]
    Task<FieldError[]> CheckFitsAsync(ResourceRequest resources);
}
