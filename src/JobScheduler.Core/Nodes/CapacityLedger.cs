namespace JobScheduler.Core.Nodes;

/// <summary>
/// The capacity ledger's bookkeeping, without the grain: which node holds which reservation, which requests wait and in
/// what order, which node a request goes to, and when a node is down or forgotten. The ledger grain feeds it reports,
/// membership and the time, and does the calls it decides on. Not thread-safe: the grain runs one turn at a time.
/// </summary>
/// <remarks>
/// Waiting requests are served highest priority first, then oldest. There is no back-filling: once the head does not
/// fit, only requests that reserve nothing may pass it (they cannot delay it), so a large request is not starved by
/// small ones.
/// </remarks>
public sealed class CapacityLedger
{
    /// <summary>A node that has not reported for this long counts as down even before membership says so.</summary>
    public static readonly TimeSpan HeartbeatExpiry = TimeSpan.FromSeconds(15);

    /// <summary>
    /// How long a down node stays listed before the ledger forgets it: long enough for an operator to see what died,
    /// short enough that a cluster whose silos come and go does not list them for ever.
    /// </summary>
    public static readonly TimeSpan DownNodeRetention = TimeSpan.FromHours(1);

    /// <summary>How many forgotten silo addresses are remembered, so membership's list of dead silos does not bring them back.</summary>
    public const int MaxForgotten = 1024;

    private readonly Dictionary<string, LedgerNode> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Held> _reservations = new(StringComparer.Ordinal);
    private readonly SortedSet<CapacityRequest> _queue = new(QueueOrder.Instance);
    private readonly Dictionary<string, CapacityRequest> _waiting = new(StringComparer.Ordinal);
    private readonly HashSet<string> _forgotten = new(StringComparer.Ordinal);
    private readonly Queue<string> _forgottenOrder = new();

    /// <summary>The nodes known, by id.</summary>
    public IEnumerable<LedgerNode> Nodes => _nodes.Values.OrderBy(n => n.Id, StringComparer.Ordinal);

    /// <summary>How many requests wait for capacity.</summary>
    public int Waiting => _queue.Count;

    /// <summary>Whether any node has reported its capacity yet (a fresh ledger has nothing to judge a request by).</summary>
    public bool HasReports => _nodes.Values.Any(n => n.Reported);

    /// <summary>
    /// Reserves capacity on the least loaded node that fits and returns its id, or queues the request and returns null.
    /// Idempotent per execution.
    /// </summary>
    public string? Reserve(CapacityRequest request)
    {
        if (_reservations.TryGetValue(request.ExecutionId, out var held))
        {
            return held.NodeId;
        }
        if (_waiting.ContainsKey(request.ExecutionId))
        {
            return null;
        }
        // Strict order: nothing overtakes work already waiting, except work that reserves nothing and so cannot delay it.
        if ((_queue.Count == 0 || request.IsFree) && PickNode(request) is { } node)
        {
            Hold(request, node);
            return node.Id;
        }
        _queue.Add(request);
        _waiting[request.ExecutionId] = request;
        return null;
    }

    /// <summary>Frees what an execution holds (or stops it waiting), then grants what now fits.</summary>
    public IReadOnlyList<CapacityGrant> Release(string executionId)
    {
        Free(executionId);
        if (_waiting.Remove(executionId, out var waiting))
        {
            _queue.Remove(waiting);
        }
        return Dispatch();
    }

    /// <summary>
    /// Takes a node's heartbeat: its capacity and what it runs (which rebuilds the ledger after it moved), then grants
    /// what now fits. Returns whether the node is new to this ledger, and the grants.
    /// </summary>
    /// <param name="report">What the node reports: its capacity and what runs on it.</param>
    /// <param name="now">The wall clock, for what is shown (the node's last heartbeat).</param>
    /// <param name="monotonic">
    /// A monotonic reading (<see cref="TimeProvider.GetElapsedTime(long)"/> since a fixed start) that decides when a node
    /// stopped reporting; a stepped wall clock must not make every node look silent. Without it, <paramref name="now"/>
    /// serves as both (a caller with one clock, such as a test).
    /// </param>
    public (bool Joined, IReadOnlyList<CapacityGrant> Grants) Report(CapacityReport report, DateTimeOffset now, TimeSpan? monotonic = null)
    {
        var joined = !_nodes.TryGetValue(report.NodeId, out var node);
        if (node is null)
        {
            _nodes[report.NodeId] = node = new LedgerNode(report.NodeId);
        }
        node.SiloAddress = report.SiloAddress;
        node.CpuMillis = report.CpuMillis;
        node.MemoryMb = report.MemoryMb;
        node.Draining = report.Draining;
        node.CpuUsagePercent = report.CpuUsagePercent;
        node.LastHeartbeat = now;
        node.LastHeartbeatMonotonic = monotonic ?? SingleClock(now);
        node.Reported = true;
        node.Dead = false;
        node.DownSince = null;
        // Attempts that reserve nothing are not the ledger's business (they run where their execution lives).
        var running = report.Running.Where(r => !r.IsFree).ToList();
        var listed = running.Select(r => r.ExecutionId).ToHashSet(StringComparer.Ordinal);
        // An attempt this node reported running before and no longer lists has ended. Its execution frees it too, but that
        // release can be lost (sent to a ledger that died) or overtaken: it may arrive before a report that was taken
        // while the attempt still ran, which then holds it again. Without this, that capacity would stay booked for ever.
        foreach (var ended in _reservations.Where(r => r.Value.NodeId == node.Id && r.Value.SeenRunning && !listed.Contains(r.Key)).Select(r => r.Key).ToList())
        {
            Free(ended);
        }
        foreach (var attempt in running)
        {
            if (_reservations.TryGetValue(attempt.ExecutionId, out var held))
            {
                _reservations[attempt.ExecutionId] = held with { SeenRunning = true };
            }
            else
            {
                Hold(attempt, node, seenRunning: true);
            }
        }
        return (joined, Dispatch());
    }

    /// <summary>
    /// Judges whether some single node could ever run a request of this size, naming the field that is too large.
    /// Only nodes that reported count; with none, nothing can be judged and the request is accepted (the grain first
    /// waits a little for a report).
    /// </summary>
    public FieldError[] CheckFits(int cpuMillis, int memoryMb)
    {
        // Dead silos known only from membership offer nothing: judging by them would refuse everything.
        var reported = _nodes.Values.Where(n => n.Reported).ToList();
        if (reported.Count == 0 || reported.Any(n => n.CpuMillis >= cpuMillis && n.MemoryMb >= memoryMb))
        {
            return [];
        }
        var errors = new List<FieldError>();
        var largestCpu = reported.Max(n => n.CpuMillis);
        var largestMemory = reported.Max(n => n.MemoryMb);
        if (cpuMillis > largestCpu)
        {
            errors.Add(new("resources.cpuMillis", $"asks for {cpuMillis} millicores; the largest node offers {largestCpu}."));
        }
        if (memoryMb > largestMemory)
        {
            errors.Add(new("resources.memoryMb", $"asks for {memoryMb} MB; the largest node offers {largestMemory}."));
        }
        if (errors.Count == 0)
        {
            errors.Add(new("resources", $"no single node offers both {cpuMillis} millicores and {memoryMb} MB."));
        }
        return [.. errors];
    }

    /// <summary>
    /// Marks down the nodes that membership does not list as active or that stopped reporting, dropping their
    /// reservations (their executions re-dispatch the lost attempts); lists the dead silos this ledger never heard from;
    /// and forgets nodes down for longer than <see cref="DownNodeRetention"/> (a node that reports again is listed again).
    /// </summary>
    /// <param name="members">What membership says of each silo.</param>
    /// <param name="now">The wall clock, for when a node went down and when it is forgotten.</param>
    /// <param name="monotonic">The monotonic reading that heartbeats' ages are measured on (see <see cref="Report"/>).</param>
    public NodeChanges CheckNodes(IReadOnlyCollection<MemberSilo> members, DateTimeOffset now, TimeSpan? monotonic = null)
    {
        var elapsed = monotonic ?? SingleClock(now);
        var alive = members.Where(m => m.Active).Select(m => m.NodeId).ToHashSet(StringComparer.Ordinal);
        // Membership remembers dead silos this ledger never heard from (it may have moved after they died).
        foreach (var dead in members.Where(m => m.Dead && !alive.Contains(m.NodeId)))
        {
            if (!_nodes.ContainsKey(dead.NodeId) && !_forgotten.Contains(dead.SiloAddress))
            {
                _nodes[dead.NodeId] = new LedgerNode(dead.NodeId) { SiloAddress = dead.SiloAddress, Dead = true, DownSince = now };
            }
        }
        var down = new List<string>();
        foreach (var node in _nodes.Values.Where(n => !n.Dead && (!alive.Contains(n.Id) || elapsed - n.LastHeartbeatMonotonic > HeartbeatExpiry)))
        {
            node.Dead = true;
            node.DownSince = now;
            foreach (var executionId in node.Running)
            {
                _reservations.Remove(executionId);
            }
            node.RunningSet.Clear();
            node.ReservedCpu = 0;
            node.ReservedMemory = 0;
            down.Add(node.Id);
        }
        // Membership may list a dead silo for a long time; the forgotten addresses keep it from being listed again.
        var forgotten = _nodes.Values.Where(n => n.Dead && now - n.DownSince > DownNodeRetention).Select(n => n.Id).ToList();
        foreach (var id in forgotten)
        {
            _nodes.Remove(id, out var node);
            Forget(node!.SiloAddress);
        }
        return down.Count == 0 && forgotten.Count == 0 ? NodeChanges.None : new NodeChanges(down, forgotten);
    }

    /// <summary>
    /// Grants waiting requests in queue order while they fit. Once one does not fit, only requests that reserve
    /// nothing may still go ahead of it (they cannot delay it); everything else keeps its place.
    /// </summary>
    public IReadOnlyList<CapacityGrant> Dispatch()
    {
        var grants = new List<CapacityGrant>();
        var blocked = false;
        foreach (var waiting in _queue.ToList())
        {
            if (blocked && !waiting.IsFree)
            {
                continue;
            }
            if (PickNode(waiting) is not { } node)
            {
                blocked |= !waiting.IsFree;
                continue;
            }
            _queue.Remove(waiting);
            _waiting.Remove(waiting.ExecutionId);
            Hold(waiting, node);
            grants.Add(new CapacityGrant(waiting.ExecutionId, waiting.Attempt, node.Id));
        }
        return grants;
    }

    private void Forget(string siloAddress)
    {
        if (siloAddress.Length == 0 || !_forgotten.Add(siloAddress))
        {
            return;
        }
        _forgottenOrder.Enqueue(siloAddress);
        if (_forgottenOrder.Count > MaxForgotten)
        {
            _forgotten.Remove(_forgottenOrder.Dequeue());
        }
    }

    /// <summary>Among live, non-draining nodes with room, the one that would be least loaded after the reservation.</summary>
    private LedgerNode? PickNode(CapacityRequest request) => _nodes.Values
        .Where(n => !n.Dead && !n.Draining
            && n.CpuMillis - n.ReservedCpu >= request.CpuMillis
            && n.MemoryMb - n.ReservedMemory >= request.MemoryMb)
        .OrderBy(n => Math.Max(
            (n.ReservedCpu + request.CpuMillis) / (double)Math.Max(1, n.CpuMillis),
            (n.ReservedMemory + request.MemoryMb) / (double)Math.Max(1, n.MemoryMb)))
        .ThenBy(n => n.Running.Count)
        .ThenBy(n => n.CpuUsagePercent)
        .ThenBy(n => n.Id, StringComparer.Ordinal)
        .FirstOrDefault();

    private void Hold(CapacityRequest request, LedgerNode node, bool seenRunning = false)
    {
        node.ReservedCpu += request.CpuMillis;
        node.ReservedMemory += request.MemoryMb;
        node.RunningSet.Add(request.ExecutionId);
        _reservations[request.ExecutionId] = new Held(node.Id, request.CpuMillis, request.MemoryMb, seenRunning);
    }

    private void Free(string executionId)
    {
        if (_reservations.Remove(executionId, out var held) && _nodes.TryGetValue(held.NodeId, out var node))
        {
            node.ReservedCpu -= held.CpuMillis;
            node.ReservedMemory -= held.MemoryMb;
            node.RunningSet.Remove(executionId);
        }
    }

    /// <summary>What one execution holds on one node.</summary>
    /// <param name="NodeId">The node.</param>
    /// <param name="CpuMillis">The CPU held.</param>
    /// <param name="MemoryMb">The memory held.</param>
    /// <param name="SeenRunning">Whether its node has listed the attempt as running (a reservation not yet started has not).</param>
    private sealed record Held(string NodeId, int CpuMillis, int MemoryMb, bool SeenRunning);

    /// <summary>Higher priority first, then the oldest, then by id (a total order, as a sorted set needs).</summary>
    private sealed class QueueOrder : IComparer<CapacityRequest>
    {
        public static readonly QueueOrder Instance = new();

        public int Compare(CapacityRequest? x, CapacityRequest? y)
        {
            var byPriority = y!.Priority.CompareTo(x!.Priority);
            if (byPriority != 0)
            {
                return byPriority;
            }
            var byAge = x.CreatedAt.CompareTo(y.CreatedAt);
            return byAge != 0 ? byAge : string.CompareOrdinal(x.ExecutionId, y.ExecutionId);
        }
    }

    /// <summary>The monotonic reading of a caller that has only one clock.</summary>
    private static TimeSpan SingleClock(DateTimeOffset now) => now - DateTimeOffset.UnixEpoch;
}
