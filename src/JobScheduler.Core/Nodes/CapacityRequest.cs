namespace JobScheduler.Core.Nodes;

/// <summary>
/// What one attempt asks the capacity ledger for: the ledger grain's request on the wire (the alias is the one the
/// grain's contract has always used) and the input of its decisions here in Core, where plain unit tests reach them.
/// </summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.ReservationRequest")]
public sealed record CapacityRequest(string ExecutionId, int Attempt, int CpuMillis, int MemoryMb, int Priority, DateTimeOffset CreatedAt)
{
    /// <summary>Reserves nothing: cannot delay anything waiting, so it may pass the queue.</summary>
    public bool IsFree => CpuMillis == 0 && MemoryMb == 0;
}

/// <summary>A node's heartbeat as the ledger needs it: capacity, drain flag, host load, and what it runs.</summary>
public sealed record CapacityReport(
    string NodeId,
    string SiloAddress,
    int CpuMillis,
    int MemoryMb,
    bool Draining,
    double CpuUsagePercent,
    IReadOnlyList<CapacityRequest> Running);

/// <summary>A waiting request granted on a node: the execution is to be told.</summary>
public sealed record CapacityGrant(string ExecutionId, int Attempt, string NodeId);

/// <summary>One silo as cluster membership lists it.</summary>
/// <param name="NodeId">The node id (<c>host:port</c>).</param>
/// <param name="SiloAddress">The silo address, generation included: a restarted node has a new one.</param>
/// <param name="Active">Membership says it is active.</param>
/// <param name="Dead">Membership declared it dead.</param>
public sealed record MemberSilo(string NodeId, string SiloAddress, bool Active, bool Dead);

/// <summary>What a membership check changed: nodes newly down, and down nodes forgotten after the retention.</summary>
public sealed record NodeChanges(IReadOnlyList<string> Down, IReadOnlyList<string> Forgotten)
{
    public static readonly NodeChanges None = new([], []);
}
