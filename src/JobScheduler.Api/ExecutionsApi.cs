using System.Security.Claims;
using JobScheduler.Api.Audit;
using JobScheduler.Api.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace JobScheduler.Api;

/// <summary><c>/api/executions</c>: one execution with its attempts and output, and cancel. Another user's execution answers 404.</summary>
public static class ExecutionsApi
{
    public static RouteGroupBuilder MapExecutionsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/executions").WithTags("Executions").RefuseUnaddressableIds("Execution");
        group.MapGet("/{id}", GetExecution).WithName("GetExecution").WithSummary("An execution with its attempts and their output.");
        group.MapPost("/{id}/cancel", CancelExecution).RequireAuthorization(AuthPolicies.Operator).WithName("CancelExecution").Audited("execution.cancel")
            .WithSummary("Stop the running attempt (killing its process tree) and prevent further retries.");
        return group;
    }

    public static async Task<Results<Ok<ExecutionInfo>, ProblemHttpResult>> GetExecution(string id, ClaimsPrincipal principal, IGrainFactory grains) =>
        await OwnExecutionAsync(id, principal, grains) is { } execution ? TypedResults.Ok(execution) : Problems.NotFound("Execution", id);

    public static async Task<Results<Ok<ExecutionInfo>, ProblemHttpResult>> CancelExecution(string id, ClaimsPrincipal principal, IGrainFactory grains) =>
        await OwnExecutionAsync(id, principal, grains) is not null && await grains.GetGrain<IExecutionGrain>(id).CancelAsync() is { } execution
            ? TypedResults.Ok(execution)
            : Problems.NotFound("Execution", id);

    /// <summary>The execution when it exists and the caller may reach it (their job's, or any for an admin); null otherwise.</summary>
    private static async Task<ExecutionInfo?> OwnExecutionAsync(string id, ClaimsPrincipal principal, IGrainFactory grains) =>
        await grains.GetGrain<IExecutionGrain>(id).GetAsync() is { } execution && Caller.Of(principal).MayAccess(execution.Owner) ? execution : null;
}
