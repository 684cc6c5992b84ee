using Microsoft.Extensions.Logging;

namespace JobScheduler.Grains.Nodes;

[GenerateSerializer, Alias("JobScheduler.NodeGrainState")]
public sealed class NodeGrainState
{
    [Id(0)] public bool Draining { get; set; }
}

/// <summary>Loads a node's remembered drain flag when its silo starts.</summary>
[Alias("JobScheduler.ILocalNodeGrain")]
public interface ILocalNodeGrain : IGrainWithStringKey
{
    [Alias("Load")]
    Task<bool> LoadAsync();
}

/// <summary>
/// One node, living on its own silo. It holds the operator's drain flag (persisted, so a drained node stays drained
/// across a restart) and applies it to the local node, which reports it to the ledger at once.
/// </summary>
[GrainType("node"), NodePlacement]
public sealed partial class NodeGrain(
    [PersistentState("node", Core.Storage.StateNames.Provider)] IPersistentState<NodeGrainState> state,
    LocalNode local,
    NodeHeartbeat heartbeat,
    ILogger<NodeGrain> logger) : Grain, INodeGrain, ILocalNodeGrain
{
    public Task<bool> LoadAsync()
    {
        local.Draining = state.State.Draining;
        return Task.FromResult(local.Draining);
    }

    public async Task<NodeInfo?> SetStateAsync(NodeState desired)
    {
        if (desired is not (NodeState.Active or NodeState.Draining))
        {
            throw new ArgumentException("A node can be set to active or draining only.", nameof(desired));
        }
        state.State.Draining = desired == NodeState.Draining;
        await state.WriteStateAsync();
        local.Draining = state.State.Draining;
        LogStateSet(local.Id, desired);
        await heartbeat.ReportAsync();
        var nodes = await GrainFactory.GetGrain<IClusterNodesGrain>(0).GetNodesAsync();
        return nodes.FirstOrDefault(n => n.Id == local.Id);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} set to {State}")]
    private partial void LogStateSet(string nodeId, NodeState state);
}
