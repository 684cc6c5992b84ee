using JobScheduler.Api.Audit;
using JobScheduler.Api.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace JobScheduler.Api;

/// <summary><c>/api/nodes</c>: the worker nodes, their capacity, reservations and use; drain and undrain. Admin only.</summary>
public static class NodesApi
{
    public static RouteGroupBuilder MapNodesApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/nodes").WithTags("Nodes").RefuseUnaddressableIds("Node").RequireAuthorization(AuthPolicies.Admin);
        group.MapGet("/", ListNodes).WithName("ListNodes").WithSummary("Every node the cluster has seen, with its state, capacity, reservations and use.");
        group.MapGet("/{id}", GetNode).WithName("GetNode").WithSummary("One node (id = host:port).");
        group.MapPut("/{id}", PutNode).WithName("PutNode").Audited("node.update").WithSummary("Set a node to draining (no new work) or active.")
            .Accepts<NodeStateChange>("application/json");
        return group;
    }

    public static async Task<Ok<Page<NodeInfo>>> ListNodes(IGrainFactory grains) =>
        TypedResults.Ok(new Page<NodeInfo> { Items = await grains.GetGrain<IClusterNodesGrain>(0).GetNodesAsync() });

    public static async Task<Results<Ok<NodeInfo>, ProblemHttpResult>> GetNode(string id, IGrainFactory grains) =>
        (await grains.GetGrain<IClusterNodesGrain>(0).GetNodesAsync()).FirstOrDefault(n => n.Id == id) is { } node
            ? TypedResults.Ok(node)
            : Problems.NotFound("Node", id);

    public static async Task<Results<Ok<NodeInfo>, ProblemHttpResult>> PutNode(string id, HttpRequest request, IGrainFactory grains)
    {
        var (change, problem) = await RequestBody.ReadAsync<NodeStateChange>(request, required: true);
        if (problem is not null)
        {
            return (ProblemHttpResult)problem;
        }
        if (change!.State is not ({ } desired and (NodeState.Active or NodeState.Draining)))
        {
            return Problems.Validation(StatusCodes.Status422UnprocessableEntity, [new("state", "must be active or draining.")]);
        }
        var node = (await grains.GetGrain<IClusterNodesGrain>(0).GetNodesAsync()).FirstOrDefault(n => n.Id == id);
        if (node is null)
        {
            return Problems.NotFound("Node", id);
        }
        if (node.State == NodeState.Down)
        {
            return Problems.Validation(StatusCodes.Status409Conflict, [new("state", $"node {id} is down; only a running node can be drained or activated.")], "The node is down.");
        }
        return await grains.GetGrain<INodeGrain>(id).SetStateAsync(desired) is { } updated ? TypedResults.Ok(updated) : Problems.NotFound("Node", id);
    }
}

/// <summary>Body of <c>PUT /api/nodes/{id}</c>.</summary>
public sealed record NodeStateChange
{
    public NodeState? State { get; init; }
}
