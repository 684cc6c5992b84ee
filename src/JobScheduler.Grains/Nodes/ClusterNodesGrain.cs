using Microsoft.Extensions.Logging;

namespace JobScheduler.Grains.Nodes;

/// <summary>
/// The capacity ledger: one per cluster, in memory, rebuilt from the nodes' heartbeats when it moves. Being a single
/// grain, it takes reservations one at a time, so two placements can never overbook a node. Attempts that fit
/// nowhere wait here, highest priority first, then oldest; each release or new capacity dispatches the head of the
/// queue while it fits (no back-filling, so a large request is not starved by small ones; only attempts that reserve
/// nothing may pass a waiting one, since they cannot delay it).
/// </summary>
[GrainType("cluster-nodes")]
public sealed partial class ClusterNodesGrain(
    IClusterMembershipService membership,
    TimeProvider time,
    ILogger<ClusterNodesGrain> logger) : Grain, ICapacityLedgerGrain
{
    /// <summary>A node that has not reported for this long counts as down even before membership says so.</summary>
    private static readonly TimeSpan HeartbeatExpiry = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan CheckPeriod = TimeSpan.FromSeconds(1);

    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Held> _reservations = new(StringComparer.Ordinal);
    private readonly SortedSet<ReservationRequest> _queue = new(QueueOrder.Instance);
    private readonly Dictionary<string, ReservationRequest> _waiting = new(StringComparer.Ordinal);

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Notices dead nodes promptly: their reservations are dropped (the executions re-dispatch the lost attempts).
        this.RegisterGrainTimer(CheckNodesAsync, new GrainTimerCreationOptions { DueTime = CheckPeriod, Period = CheckPeriod, KeepAlive = true });
        return Task.CompletedTask;
    }

    public Task<string?> ReserveAsync(ReservationRequest request)
    {
        if (_reservations.TryGetValue(request.ExecutionId, out var held))
        {
            return Task.FromResult<string?>(held.NodeId);
        }
        if (_waiting.ContainsKey(request.ExecutionId))
        {
            return Task.FromResult<string?>(null);
        }
        MarkDeadNodes();
        // Strict order: nothing overtakes work already waiting, except work that reserves nothing and so cannot delay it.
        if ((_queue.Count == 0 || IsFree(request)) && PickNode(request) is { } node)
        {
            Reserve(request, node);
            return Task.FromResult<string?>(node.Id);
        }
        _queue.Add(request);
        _waiting[request.ExecutionId] = request;
        LogQueued(request.ExecutionId, request.Priority, _queue.Count);
        return Task.FromResult<string?>(null);
    }

    public Task ReleaseAsync(string executionId)
    {
        if (_reservations.Remove(executionId, out var held) && _nodes.TryGetValue(held.NodeId, out var node))
        {
            node.ReservedCpu -= held.CpuMillis;
            node.ReservedMemory -= held.MemoryMb;
            node.Running.Remove(executionId);
        }
        if (_waiting.Remove(executionId, out var waiting))
        {
            _queue.Remove(waiting);
        }
        Dispatch();
        return Task.CompletedTask;
    }

    public Task ReportAsync(NodeReport report)
    {
        if (!_nodes.TryGetValue(report.NodeId, out var node))
        {
            _nodes[report.NodeId] = node = new Node(report.NodeId);
            LogNodeJoined(report.NodeId, report.CpuMillis, report.MemoryMb);
        }
        node.SiloAddress = report.SiloAddress;
        node.CpuMillis = report.CpuMillis;
        node.MemoryMb = report.MemoryMb;
        node.Draining = report.Draining;
        node.Usage = report;
        node.LastHeartbeat = time.GetUtcNow();
        node.Dead = false;
        // After this ledger moved (its silo died), the nodes' reports bring back what runs where. Attempts that reserve
        // nothing are not the ledger's business (they run where their execution lives); the report lists them.
        foreach (var running in report.Running.Where(r => (r.CpuMillis > 0 || r.MemoryMb > 0) && !_reservations.ContainsKey(r.ExecutionId)))
        {
            Reserve(new ReservationRequest(running.ExecutionId, running.Attempt, running.CpuMillis, running.MemoryMb, 0, default), node);
        }
        Dispatch();
        return Task.CompletedTask;
    }

    public Task<NodeInfo[]> GetNodesAsync()
    {
        MarkDeadNodes();
        return Task.FromResult(_nodes.Values.OrderBy(n => n.Id, StringComparer.Ordinal).Select(n => new NodeInfo
        {
            Id = n.Id,
            SiloAddress = n.SiloAddress,
            State = n.Dead ? NodeState.Down : n.Draining ? NodeState.Draining : NodeState.Active,
            CpuMillis = n.CpuMillis,
            MemoryMb = n.MemoryMb,
            ReservedCpuMillis = n.ReservedCpu,
            ReservedMemoryMb = n.ReservedMemory,
            Running = [.. n.Running.Union(n.Dead ? [] : n.Usage?.Running.Select(r => r.ExecutionId) ?? [], StringComparer.Ordinal).Order(StringComparer.Ordinal)],
            CpuUsagePercent = n.Usage?.CpuUsagePercent ?? 0,
            MemoryUsedMb = n.Usage?.MemoryUsedMb ?? 0,
            ProcessCpuPercent = n.Usage?.ProcessCpuPercent ?? 0,
            ProcessMemoryMb = n.Usage?.ProcessMemoryMb ?? 0,
            LastHeartbeat = n.LastHeartbeat,
            PendingInCluster = _queue.Count,
        }).ToArray());
    }

    public Task<FieldError[]> CheckFitsAsync(ResourceRequest resources)
    {
        // Before any node has reported there is nothing to judge by; accept, and let the request wait.
        if (_nodes.Count == 0)
        {
            return Task.FromResult<FieldError[]>([]);
        }
        var errors = new List<FieldError>();
        var largestCpu = _nodes.Values.Max(n => n.CpuMillis);
        var largestMemory = _nodes.Values.Max(n => n.MemoryMb);
        if (!_nodes.Values.Any(n => n.CpuMillis >= resources.CpuMillis && n.MemoryMb >= resources.MemoryMb))
        {
            if (resources.CpuMillis > largestCpu)
            {
                errors.Add(new("resources.cpuMillis", $"asks for {resources.CpuMillis} millicores; the largest node offers {largestCpu}."));
            }
            if (resources.MemoryMb > largestMemory)
            {
                errors.Add(new("resources.memoryMb", $"asks for {resources.MemoryMb} MB; the largest node offers {largestMemory}."));
            }
            if (errors.Count == 0)
            {
                errors.Add(new("resources", $"no single node offers both {resources.CpuMillis} millicores and {resources.MemoryMb} MB."));
            }
        }
        return Task.FromResult(errors.ToArray());
    }

    private Task CheckNodesAsync(CancellationToken cancellationToken)
    {
        if (MarkDeadNodes())
        {
            Dispatch();
        }
        return Task.CompletedTask;
    }

    /// <summary>Marks nodes whose silo membership declared dead, or that stopped reporting, and drops their reservations.</summary>
    private bool MarkDeadNodes()
    {
        var members = membership.CurrentSnapshot.Members.Values;
        var alive = members
            .Where(m => m.Status == SiloStatus.Active)
            .Select(m => LocalNode.IdOf(m.SiloAddress))
            .ToHashSet(StringComparer.Ordinal);
        // Membership remembers dead silos this ledger never heard from (it may have moved after they died).
        foreach (var dead in members.Where(m => m.Status == SiloStatus.Dead && !alive.Contains(LocalNode.IdOf(m.SiloAddress))))
        {
            var id = LocalNode.IdOf(dead.SiloAddress);
            if (!_nodes.ContainsKey(id))
            {
                _nodes[id] = new Node(id) { SiloAddress = dead.SiloAddress.ToParsableString(), Dead = true };
            }
        }
        var changed = false;
        foreach (var node in _nodes.Values.Where(n => !n.Dead && (!alive.Contains(n.Id) || time.GetUtcNow() - n.LastHeartbeat > HeartbeatExpiry)))
        {
            node.Dead = true;
            changed = true;
            foreach (var executionId in node.Running.ToList())
            {
                _reservations.Remove(executionId);
            }
            node.Running.Clear();
            node.ReservedCpu = 0;
            node.ReservedMemory = 0;
            LogNodeDown(node.Id);
        }
        return changed;
    }

    /// <summary>
    /// Grants waiting requests in queue order while they fit. Once one does not fit, only requests that reserve
    /// nothing may still go ahead of it (they cannot delay it); everything else keeps its place.
    /// </summary>
    private void Dispatch()
    {
        var blocked = false;
        foreach (var waiting in _queue.ToList())
        {
            if (blocked && !IsFree(waiting))
            {
                continue;
            }
            if (PickNode(waiting) is not { } node)
            {
                blocked |= !IsFree(waiting);
                continue;
            }
            _queue.Remove(waiting);
            _waiting.Remove(waiting.ExecutionId);
            Reserve(waiting, node);
            GrainFactory.GetGrain<IPlacementListener>(waiting.ExecutionId).PlacedAsync(waiting.Attempt, node.Id).Ignore();
        }
    }

    private static bool IsFree(ReservationRequest request) => request.CpuMillis == 0 && request.MemoryMb == 0;

    /// <summary>Among live, non-draining nodes with room, the one that would be least loaded after the reservation.</summary>
    private Node? PickNode(ReservationRequest request) => _nodes.Values
        .Where(n => !n.Dead && !n.Draining
            && n.CpuMillis - n.ReservedCpu >= request.CpuMillis
            && n.MemoryMb - n.ReservedMemory >= request.MemoryMb)
        .OrderBy(n => Math.Max(
            (n.ReservedCpu + request.CpuMillis) / (double)Math.Max(1, n.CpuMillis),
            (n.ReservedMemory + request.MemoryMb) / (double)Math.Max(1, n.MemoryMb)))
        .ThenBy(n => n.Running.Count)
        .ThenBy(n => n.Usage?.CpuUsagePercent ?? 0)
        .ThenBy(n => n.Id, StringComparer.Ordinal)
        .FirstOrDefault();

    private void Reserve(ReservationRequest request, Node node)
    {
        node.ReservedCpu += request.CpuMillis;
        node.ReservedMemory += request.MemoryMb;
        node.Running.Add(request.ExecutionId);
        _reservations[request.ExecutionId] = new Held(node.Id, request.CpuMillis, request.MemoryMb);
    }

    private sealed class Node(string id)
    {
        public string Id { get; } = id;
        public string SiloAddress { get; set; } = "";
        public int CpuMillis { get; set; }
        public int MemoryMb { get; set; }
        public int ReservedCpu { get; set; }
        public int ReservedMemory { get; set; }
        public bool Draining { get; set; }
        public bool Dead { get; set; }
        public DateTimeOffset LastHeartbeat { get; set; }
        public NodeReport? Usage { get; set; }
        public HashSet<string> Running { get; } = new(StringComparer.Ordinal);
    }

    private sealed record Held(string NodeId, int CpuMillis, int MemoryMb);

    /// <summary>Higher priority first, then the oldest, then by id (a total order, as a sorted set needs).</summary>
    private sealed class QueueOrder : IComparer<ReservationRequest>
    {
        public static readonly QueueOrder Instance = new();

        public int Compare(ReservationRequest? x, ReservationRequest? y)
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

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} joined with {CpuMillis} millicores and {MemoryMb} MB")]
    private partial void LogNodeJoined(string nodeId, int cpuMillis, int memoryMb);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId} is down; its attempts are re-dispatched")]
    private partial void LogNodeDown(string nodeId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Execution {ExecutionId} (priority {Priority}) waits for capacity; {Waiting} waiting")]
    private partial void LogQueued(string executionId, int priority, int waiting);
}
