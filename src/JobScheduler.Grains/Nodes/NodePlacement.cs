using Orleans.Placement;
using Orleans.Runtime.Placement;

namespace JobScheduler.Grains.Nodes;

/// <summary>
/// Places a grain on the node its key names: the whole key for a node grain (<c>host:port</c>), the part after the
/// last <c>@</c> for an attempt runner (<c>{executionId}#{attempt}@{host:port}</c>). The key carries the node, so
/// every activation, including one caused by a retried call, lands on the node the ledger reserved. A node that is
/// not in the cluster cannot host it: the call fails, and the caller treats the attempt as lost.
/// </summary>
[GenerateSerializer, Immutable, SuppressReferenceTracking]
public sealed class NodePlacement : PlacementStrategy
{
    public static NodePlacement Singleton { get; } = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class NodePlacementAttribute() : PlacementAttribute(NodePlacement.Singleton);

public sealed class NodePlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var nodeId = NodeOf(target.GrainIdentity.Key.ToString()!);
        foreach (var silo in context.GetCompatibleSilos(target))
        {
            if (LocalNode.IdOf(silo) == nodeId)
            {
                return Task.FromResult(silo);
            }
        }
        throw new NodeUnavailableException(nodeId);
    }

    public static string NodeOf(string key)
    {
        var at = key.LastIndexOf('@');
        return at < 0 ? key : key[(at + 1)..];
    }
}

/// <summary>The node a grain must run on is not (or no longer) in the cluster.</summary>
[GenerateSerializer, Alias("JobScheduler.NodeUnavailableException")]
public sealed class NodeUnavailableException : Exception
{
    public NodeUnavailableException() { }

    public NodeUnavailableException(string nodeId) : base($"Node {nodeId} is not in the cluster.") => NodeId = nodeId;

    public NodeUnavailableException(string message, Exception inner) : base(message, inner) { }

    [Id(0)] public string NodeId { get; init; } = "";
}
