using System.Security.Claims;
using JobScheduler.Api.Audit;
using JobScheduler.Api.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace JobScheduler.Api;

/// <summary><c>/api/dag-runs</c>: one run of a DAG with every step's state, cancel, and retry from the failed steps. Another user's run answers 404.</summary>
public static class DagRunsApi
{
    public static RouteGroupBuilder MapDagRunsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/dag-runs").WithTags("DAGs").RefuseUnaddressableIds("DAG run");
        group.MapGet("/{runId}", GetDagRun).WithName("GetDagRun")
            .WithSummary("A DAG run with each step's state, execution id and outputs.");
        group.MapPost("/{runId}/cancel", CancelDagRun).RequireAuthorization(AuthPolicies.Operator).WithName("CancelDagRun").Audited("dag-run.cancel")
            .WithSummary("Cancel the run: running steps are cancelled (their process trees killed) and steps not started become cancelled.");
        group.MapPost("/{runId}/retry", RetryDagRun).RequireAuthorization(AuthPolicies.Operator).WithName("RetryDagRun").Audited("dag-run.retry")
            .WithSummary("Re-run a failed or cancelled run from its failed steps; succeeded steps keep their results and outputs.");
        return group;
    }

    public static async Task<Results<Ok<DagRunInfo>, ProblemHttpResult>> GetDagRun(string runId, ClaimsPrincipal principal, IGrainFactory grains) =>
        await OwnRunAsync(runId, principal, grains) is { } run ? TypedResults.Ok(run) : Problems.NotFound("DAG run", runId);

    public static async Task<Results<Ok<DagRunInfo>, ProblemHttpResult>> CancelDagRun(string runId, ClaimsPrincipal principal, IGrainFactory grains) =>
        await OwnRunAsync(runId, principal, grains) is not null && await grains.GetGrain<IDagRunGrain>(runId).CancelAsync() is { } run
            ? TypedResults.Ok(run)
            : Problems.NotFound("DAG run", runId);

    /// <summary>409 with the reason when the run is not one that can be retried (it runs, or it succeeded).</summary>
    public static async Task<Results<Ok<DagRunInfo>, ProblemHttpResult>> RetryDagRun(string runId, ClaimsPrincipal principal, IGrainFactory grains)
    {
        if (await OwnRunAsync(runId, principal, grains) is null)
        {
            return Problems.NotFound("DAG run", runId);
        }
        var result = await grains.GetGrain<IDagRunGrain>(runId).RetryAsync();
        if (result.NotFound)
        {
            return Problems.NotFound("DAG run", runId);
        }
        return result.IsValid
            ? TypedResults.Ok(result.Run!)
            : Problems.Validation(StatusCodes.Status409Conflict, result.Errors, "The DAG run cannot be retried.");
    }

    /// <summary>The run when it exists and the caller may reach it (their DAG's, or any for an admin); null otherwise.</summary>
    private static async Task<DagRunInfo?> OwnRunAsync(string runId, ClaimsPrincipal principal, IGrainFactory grains) =>
        await grains.GetGrain<IDagRunGrain>(runId).GetAsync() is { } run && Caller.Of(principal).MayAccess(run.Owner) ? run : null;
}
