using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace JobScheduler.Api;

/// <summary><c>/api/executions</c>: one execution with its attempts and output, and cancel.</summary>
public static class ExecutionsApi
{
    public static RouteGroupBuilder MapExecutionsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/executions").WithTags("Executions").RefuseUnaddressableIds("Execution");
        group.MapGet("/{id}", GetExecution).WithName("GetExecution").WithSummary("An execution with its attempts and their output.");
        group.MapPost("/{id}/cancel", CancelExecution).WithName("CancelExecution")
            .WithSummary("Stop the running attempt (killing its process tree) and prevent further retries.");
        return group;
    }

    public static async Task<Results<Ok<ExecutionInfo>, ProblemHttpResult>> GetExecution(string id, IGrainFactory grains) =>
        await grains.GetGrain<IExecutionGrain>(id).GetAsync() is { } execution ? TypedResults.Ok(execution) : Problems.NotFound("Execution", id);

    public static async Task<Results<Ok<ExecutionInfo>, ProblemHttpResult>> CancelExecution(string id, IGrainFactory grains) =>
        await grains.GetGrain<IExecutionGrain>(id).CancelAsync() is { } execution ? TypedResults.Ok(execution) : Problems.NotFound("Execution", id);
}
