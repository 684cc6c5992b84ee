namespace JobScheduler.Grains.Nodes;

/// <summary>This silo as a worker node; bound from <c>JobScheduler:Node</c>.</summary>
public sealed class NodeOptions
{
    public const string Section = "JobScheduler:Node";

    /// <summary>CPU the node offers to attempts, in millicores. Default: 1000 per core of the machine.</summary>
    public int? CpuMillis { get; set; }

    /// <summary>Memory the node offers to attempts, in MB. Default: the memory available to the process.</summary>
    public int? MemoryMb { get; set; }

    /// <summary>How often the node reports to the cluster's capacity ledger. Default 2 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>On graceful shutdown, how long the node waits for its running attempts to finish. Default 30 s.</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
