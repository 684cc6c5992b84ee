using System.Security.Claims;
using JobScheduler.Api.Audit;
using JobScheduler.Api.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace JobScheduler.Api;

/// <summary>
/// <c>/api/dags</c>: create or replace, read, list, delete, pause, resume, trigger, and a DAG's runs (SPEC §6). Owned
/// as jobs are: another user's DAG answers 404 (admins reach every DAG), checked before anything is written.
/// </summary>
public static class DagsApi
{
    public static RouteGroupBuilder MapDagsApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/dags").WithTags("DAGs").RefuseUnaddressableIds("DAG");
        group.MapPut("/{id}", PutDag).RequireAuthorization(AuthPolicies.Operator).WithName("PutDag").Audited("dag.replace", "dag.create")
            .WithSummary("Create or replace the DAG with this id (idempotent); a cycle or a bad step is refused and nothing is stored.")
            .Accepts<DagSpec>("application/json");
        group.MapGet("/", ListDags).WithName("ListDags").WithSummary("List DAGs by owner, state and tag, ordered by id.");
        group.MapGet("/{id}", GetDag).WithName("GetDag").WithSummary("Read a DAG.");
        group.MapDelete("/{id}", DeleteDag).RequireAuthorization(AuthPolicies.Operator).WithName("DeleteDag").Audited("dag.delete").WithSummary("Delete a DAG and its finished runs; running runs finish.");
        group.MapPost("/{id}/pause", PauseDag).RequireAuthorization(AuthPolicies.Operator).WithName("PauseDag").Audited("dag.pause").WithSummary("Stop starting scheduled runs until resumed.");
        group.MapPost("/{id}/resume", ResumeDag).RequireAuthorization(AuthPolicies.Operator).WithName("ResumeDag").Audited("dag.resume").WithSummary("Start scheduled runs again, from the next fire time after now.");
        group.MapPost("/{id}/trigger", TriggerDag).RequireAuthorization(AuthPolicies.Operator).WithName("TriggerDag").Audited("dag.trigger")
            .WithSummary("Start a run now, optionally with parameters; an Idempotency-Key header makes a retried request start it once.")
            .Accepts<DagTriggerOptions>("application/json");
        group.MapGet("/{id}/runs", ListDagRuns).WithName("ListDagRuns").WithSummary("A DAG's runs, latest scheduled first.");
        return group;
    }

    public static async Task<Results<Ok<DagInfo>, Created<DagInfo>, ProblemHttpResult>> PutDag(string id, HttpRequest request, ClaimsPrincipal principal, IGrainFactory grains)
    {
        var (spec, problem) = await RequestBody.ReadAsync<DagSpec>(request, required: true);
        if (problem is not null)
        {
            return (ProblemHttpResult)problem;
        }
        var caller = Caller.Of(principal);
        var grain = grains.GetGrain<IDagGrain>(id);
        var existing = await grain.GetAsync();
        if (existing is not null && !caller.MayAccess(existing.Owner))
        {
            return Problems.NotFound("DAG", id);
        }
        var result = await grain.PutAsync(spec!, existing?.Owner ?? caller.Name, createOnly: false);
        if (!result.IsValid)
        {
            return WriteProblem(id, result);
        }
        return result.Created ? TypedResults.Created($"/api/dags/{id}", result.Dag) : TypedResults.Ok(result.Dag);
    }

    public static async Task<Results<Ok<Page<DagInfo>>, ProblemHttpResult>> ListDags(
        ClaimsPrincipal principal, IGrainFactory grains, string? owner, string? state, string? tag, string? limit, string? cursor)
    {
        var errors = new List<FieldError>();
        var dagState = Query.ParseEnum<JobState>(state, "state", errors);
        var pageSize = Query.ParseLimit(limit, errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(StatusCodes.Status400BadRequest, errors);
        }
        try
        {
            var caller = Caller.Of(principal);
            var page = await grains.GetGrain<IDagQueryGrain>(0).QueryDagsAsync(new DagQuery
            {
                // Only an admin sees every owner's DAGs (and may filter by owner); anyone else sees their own.
                Owner = caller.IsAdmin ? owner : caller.Name,
                State = dagState,
                Tag = tag,
                Limit = pageSize,
                Cursor = cursor,
            });
            return TypedResults.Ok(page);
        }
        catch (ArgumentException ex)
        {
            return Problems.Validation(StatusCodes.Status400BadRequest, [new("cursor", ex.Message)]);
        }
    }

    public static async Task<Results<Ok<DagInfo>, ProblemHttpResult>> GetDag(string id, ClaimsPrincipal principal, IGrainFactory grains) =>
        await OwnDagAsync(id, principal, grains) is { } dag ? TypedResults.Ok(dag) : Problems.NotFound("DAG", id);

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteDag(string id, ClaimsPrincipal principal, IGrainFactory grains) =>
        await OwnDagAsync(id, principal, grains) is not null && await grains.GetGrain<IDagGrain>(id).DeleteAsync()
            ? TypedResults.NoContent()
            : Problems.NotFound("DAG", id);

    public static async Task<Results<Ok<DagInfo>, ProblemHttpResult>> PauseDag(string id, ClaimsPrincipal principal, IGrainFactory grains) =>
        await OwnDagAsync(id, principal, grains) is not null && await grains.GetGrain<IDagGrain>(id).PauseAsync() is { } dag
            ? TypedResults.Ok(dag)
            : Problems.NotFound("DAG", id);

    public static async Task<Results<Ok<DagInfo>, ProblemHttpResult>> ResumeDag(string id, ClaimsPrincipal principal, IGrainFactory grains) =>
        await OwnDagAsync(id, principal, grains) is not null && await grains.GetGrain<IDagGrain>(id).ResumeAsync() is { } dag
            ? TypedResults.Ok(dag)
            : Problems.NotFound("DAG", id);

    public static async Task<Results<Accepted<DagRunInfo>, ProblemHttpResult>> TriggerDag(string id, HttpRequest request, ClaimsPrincipal principal, IGrainFactory grains)
    {
        if (await OwnDagAsync(id, principal, grains) is null)
        {
            return Problems.NotFound("DAG", id);
        }
        var (options, problem) = await RequestBody.ReadAsync<DagTriggerOptions>(request, required: false);
        if (problem is not null)
        {
            return (ProblemHttpResult)problem;
        }
        var key = request.Headers[JobsApi.IdempotencyKeyHeader].FirstOrDefault();
        var result = await grains.GetGrain<IDagGrain>(id).TriggerAsync(options, key);
        if (!result.IsValid || result.NotFound)
        {
            // The key travels in a header; its error is named after it.
            return WriteProblem(id, result with
            {
                Errors = [.. result.Errors.Select(e => e.Field == "idempotencyKey" ? e with { Field = JobsApi.IdempotencyKeyHeader } : e)],
            });
        }
        var run = result.Run!;
        return TypedResults.Accepted($"/api/dag-runs/{run.Id}", run);
    }

    public static async Task<Results<Ok<Page<DagRunInfo>>, ProblemHttpResult>> ListDagRuns(
        string id, ClaimsPrincipal principal, IGrainFactory grains, string? state, string? from, string? to, string? limit, string? cursor)
    {
        var errors = new List<FieldError>();
        var runState = Query.ParseEnum<DagRunState>(state, "state", errors);
        var fromInstant = Query.ParseInstant(from, "from", errors);
        var toInstant = Query.ParseInstant(to, "to", errors);
        var pageSize = Query.ParseLimit(limit, errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(StatusCodes.Status400BadRequest, errors);
        }
        if (await OwnDagAsync(id, principal, grains) is null)
        {
            return Problems.NotFound("DAG", id);
        }
        try
        {
            var page = await grains.GetGrain<IDagGrain>(id).ListRunsAsync(new DagRunQuery
            {
                State = runState,
                From = fromInstant,
                To = toInstant,
                Limit = pageSize,
                Cursor = cursor,
            });
            return page is null ? Problems.NotFound("DAG", id) : TypedResults.Ok(page);
        }
        catch (ArgumentException ex)
        {
            return Problems.Validation(StatusCodes.Status400BadRequest, [new("cursor", ex.Message)]);
        }
    }

    private static ProblemHttpResult WriteProblem(string id, DagWriteResult result)
    {
        if (result.NotFound)
        {
            return Problems.NotFound("DAG", id);
        }
        return result.Conflict
            ? Problems.Validation(StatusCodes.Status409Conflict, result.Errors, "The DAG already exists.")
            : Problems.Validation(StatusCodes.Status422UnprocessableEntity, result.Errors, "The DAG definition is not valid.");
    }

    /// <summary>The DAG when it exists and the caller may reach it (theirs, or any for an admin); null otherwise.</summary>
    private static async Task<DagInfo?> OwnDagAsync(string id, ClaimsPrincipal principal, IGrainFactory grains) =>
        await grains.GetGrain<IDagGrain>(id).GetAsync() is { } dag && Caller.Of(principal).MayAccess(dag.Owner) ? dag : null;
}
