namespace JobScheduler.Core.Nodes;

/// <summary>One node as the capacity ledger books it.</summary>
public sealed class LedgerNode(string id)
{
    private readonly HashSet<string> _running = new(StringComparer.Ordinal);

    public string Id { get; } = id;
    public string SiloAddress { get; internal set; } = "";
    public int CpuMillis { get; internal set; }
    public int MemoryMb { get; internal set; }
    public int ReservedCpu { get; internal set; }
    public int ReservedMemory { get; internal set; }
    public bool Draining { get; internal set; }
    public bool Dead { get; internal set; }

    /// <summary>False for a node known only from membership (it died before this ledger heard from it).</summary>
    public bool Reported { get; internal set; }

    public DateTimeOffset LastHeartbeat { get; internal set; }

    /// <summary>When it last reported, on the ledger's monotonic clock: what its silence is measured by.</summary>
    internal TimeSpan LastHeartbeatMonotonic { get; set; }

    /// <summary>When this ledger saw it go down; it is forgotten <see cref="CapacityLedger.DownNodeRetention"/> later.</summary>
    public DateTimeOffset? DownSince { get; internal set; }

    public double CpuUsagePercent { get; internal set; }

    /// <summary>The executions holding a reservation on this node.</summary>
    public IReadOnlySet<string> Running => _running;

    internal HashSet<string> RunningSet => _running;
}
