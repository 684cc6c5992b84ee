using System.Security.Claims;
using JobScheduler.Api.Audit;
using JobScheduler.Api.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobScheduler.Api;

/// <summary>
/// <c>/api/jobs</c>: create (one or a batch), replace, read, list, delete, pause, resume, trigger, and a job's executions.
/// The owner of what is created is the authenticated caller; another user's job answers 404 (admins reach every job),
/// checked before anything is written. Writes need the operator role.
/// </summary>
public static class JobsApi
{
    /// <summary>A client's key for one trigger: a retry with the same key gets the first one's execution, not a second run.</summary>
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public static RouteGroupBuilder MapJobsApi(this IEndpointRouteBuilder routes)
    {
        var limits = routes.ServiceProvider.GetService<IOptions<JobSchedulerApiOptions>>()?.Value ?? new();
        var group = routes.MapGroup("/api/jobs").WithTags("Jobs").RefuseUnaddressableIds("Job");
        group.MapPost("/", CreateJob).RequireAuthorization(AuthPolicies.Operator).WithName("CreateJob").Audited("job.create", createdResource: v => (v as JobInfo)?.Id).WithSummary("Create a job with a generated id.")
            .Accepts<JobSpec>("application/json").Produces<JobInfo>(StatusCodes.Status201Created);
        // A literal segment outranks "{id}", and no POST takes "/{id}" alone: PUT and GET /api/jobs/batch still reach a job called "batch".
        group.MapPost("/batch", CreateJobs).RequireAuthorization(AuthPolicies.Operator).WithName("CreateJobs").Audited("job.replace", "job.create")
            .WithSummary("Create or replace up to 1000 jobs; each item succeeds or fails on its own.")
            .Accepts<JobBatchRequest>("application/json").Produces<JobBatchResponse>()
            .WithMetadata(new BodySizeLimit(limits.MaxBatchRequestBodyBytes));
        group.MapPut("/{id}", PutJob).RequireAuthorization(AuthPolicies.Operator).WithName("PutJob").Audited("job.replace", "job.create").WithSummary("Create or replace the job with this id (idempotent).")
            .Accepts<JobSpec>("application/json");
        group.MapGet("/", ListJobs).WithName("ListJobs").WithSummary("List jobs by owner, state and tag, ordered by id.");
        group.MapGet("/{id}", GetJob).WithName("GetJob").WithSummary("Read a job.");
        group.MapDelete("/{id}", DeleteJob).RequireAuthorization(AuthPolicies.Operator).WithName("DeleteJob").Audited("job.delete").WithSummary("Delete a job; running executions finish.");
        group.MapPost("/{id}/pause", PauseJob).RequireAuthorization(AuthPolicies.Operator).WithName("PauseJob").Audited("job.pause").WithSummary("Stop firing until resumed.");
        group.MapPost("/{id}/resume", ResumeJob).RequireAuthorization(AuthPolicies.Operator).WithName("ResumeJob").Audited("job.resume").WithSummary("Fire again, from the next fire time after now.");
        group.MapPost("/{id}/trigger", TriggerJob).RequireAuthorization(AuthPolicies.Operator).WithName("TriggerJob").Audited("job.trigger")
            .WithSummary("Run the job now, optionally with overrides; an Idempotency-Key header makes a retried request run it once.")
            .Accepts<TriggerOptions>("application/json");
        group.MapGet("/{id}/executions", ListExecutions).WithName("ListJobExecutions").WithSummary("A job's executions, latest first.");
        return group;
    }

    public static async Task<Results<Created<JobInfo>, ProblemHttpResult>> CreateJob(HttpRequest request, ClaimsPrincipal principal, IGrainFactory grains)
    {
        var (spec, problem) = await RequestBody.ReadAsync<JobSpec>(request, required: true);
        if (problem is not null)
        {
            return (ProblemHttpResult)problem;
        }
        var id = Guid.CreateVersion7().ToString("n");
        var result = await grains.GetGrain<IJobGrain>(id).PutAsync(spec!, Caller.Of(principal).Name, createOnly: true);
        return result.IsValid
            ? TypedResults.Created($"/api/jobs/{id}", result.Job)
            : WriteProblem(id, result);
    }

    /// <summary>
    /// <c>POST /api/jobs/batch</c>: 200 with one result per item, in order; an invalid item fails alone and its errors
    /// name fields as <c>jobs[i].…</c>. A batch malformed as a whole is a problem response and stores nothing.
    /// </summary>
    public static async Task<Results<Ok<JobBatchResponse>, ProblemHttpResult>> CreateJobs(HttpRequest request, ClaimsPrincipal principal, IGrainFactory grains)
    {
        var (body, problem) = await RequestBody.ReadAsync<JobBatchRequest>(request, required: true);
        if (problem is not null)
        {
            return (ProblemHttpResult)problem;
        }
        var items = body!.Jobs?.Select(j => j is null ? null! : new JobBatchItem(j.Id, j.ToSpec())).ToArray();
        // Checked here as well as in the grain so that a refused batch is not shipped to a silo.
        if (JobBatch.Validate(items) is { Count: > 0 } batchErrors)
        {
            return Problems.Validation(StatusCodes.Status422UnprocessableEntity, batchErrors, "The batch is not valid; no job was stored.");
        }
        var caller = Caller.Of(principal);
        // Items naming another user's job answer 404 on their own and are never sent to be written.
        var foreign = await ForeignJobsAsync(items!, caller, grains);
        var toWrite = items!.Where((_, i) => !foreign.Contains(i)).ToArray();
        var written = toWrite.Length == 0
            ? new JobBatchWriteResult()
            : await grains.GetGrain<IJobBatchGrain>(0).PutManyAsync(toWrite, caller.Name);
        if (!written.IsValid)
        {
            return Problems.Validation(StatusCodes.Status422UnprocessableEntity, written.Errors, "The batch is not valid; no job was stored.");
        }
        var results = new JobWriteResult[items!.Length];
        var next = 0;
        for (var i = 0; i < items.Length; i++)
        {
            results[i] = foreign.Contains(i) ? new JobWriteResult { NotFound = true, Errors = [new("id", "there is no job with this id.")] } : written.Results[next++];
        }
        return TypedResults.Ok(new JobBatchResponse(
        [
            .. results.Select((result, i) => new JobBatchItemResult(
                items![i].Id ?? result.Job?.Id,
                result switch
                {
                    { NotFound: true } => StatusCodes.Status404NotFound,
                    { IsValid: true, Created: true } => StatusCodes.Status201Created,
                    { IsValid: true } => StatusCodes.Status200OK,
                    { Conflict: true } => StatusCodes.Status409Conflict,
                    _ => StatusCodes.Status422UnprocessableEntity,
                },
                result.IsValid ? result.Job : null,
                [.. result.Errors.Select(e => e with { Field = $"jobs[{i}].{e.Field}" })])),
        ]));
    }

    public static async Task<Results<Ok<JobInfo>, Created<JobInfo>, ProblemHttpResult>> PutJob(string id, HttpRequest request, ClaimsPrincipal principal, IGrainFactory grains)
    {
        var (spec, problem) = await RequestBody.ReadAsync<JobSpec>(request, required: true);
        if (problem is not null)
        {
            return (ProblemHttpResult)problem;
        }
        var caller = Caller.Of(principal);
        var grain = grains.GetGrain<IJobGrain>(id);
        var existing = await grain.GetAsync();
        if (existing is not null && !caller.MayAccess(existing.Owner))
        {
            return Problems.NotFound("Job", id);
        }
        // An admin replacing someone's job keeps its owner.
        var result = await grain.PutAsync(spec!, existing?.Owner ?? caller.Name, createOnly: false);
        if (!result.IsValid)
        {
            return WriteProblem(id, result);
        }
        return result.Created ? TypedResults.Created($"/api/jobs/{id}", result.Job) : TypedResults.Ok(result.Job);
    }

    public static async Task<Results<Ok<Page<JobInfo>>, ProblemHttpResult>> ListJobs(
        ClaimsPrincipal principal, IGrainFactory grains, string? owner, string? state, string? tag, string? limit, string? cursor)
    {
        var errors = new List<FieldError>();
        var jobState = Query.ParseEnum<JobState>(state, "state", errors);
        var pageSize = Query.ParseLimit(limit, errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(StatusCodes.Status400BadRequest, errors);
        }
        try
        {
            var caller = Caller.Of(principal);
            var page = await grains.GetGrain<IJobQueryGrain>(0).QueryJobsAsync(new JobQuery
            {
                // Only an admin sees every owner's jobs (and may filter by owner); anyone else sees their own.
                Owner = caller.IsAdmin ? owner : caller.Name,
                State = jobState,
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

    public static async Task<Results<Ok<JobInfo>, ProblemHttpResult>> GetJob(string id, ClaimsPrincipal principal, IGrainFactory grains) =>
        await OwnJobAsync(id, principal, grains) is { } job ? TypedResults.Ok(job) : Problems.NotFound("Job", id);

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteJob(string id, ClaimsPrincipal principal, IGrainFactory grains) =>
        await OwnJobAsync(id, principal, grains) is not null && await grains.GetGrain<IJobGrain>(id).DeleteAsync()
            ? TypedResults.NoContent()
            : Problems.NotFound("Job", id);

    public static async Task<Results<Ok<JobInfo>, ProblemHttpResult>> PauseJob(string id, ClaimsPrincipal principal, IGrainFactory grains) =>
        await OwnJobAsync(id, principal, grains) is not null && await grains.GetGrain<IJobGrain>(id).PauseAsync() is { } job
            ? TypedResults.Ok(job)
            : Problems.NotFound("Job", id);

    public static async Task<Results<Ok<JobInfo>, ProblemHttpResult>> ResumeJob(string id, ClaimsPrincipal principal, IGrainFactory grains) =>
        await OwnJobAsync(id, principal, grains) is not null && await grains.GetGrain<IJobGrain>(id).ResumeAsync() is { } job
            ? TypedResults.Ok(job)
            : Problems.NotFound("Job", id);

    public static async Task<Results<Accepted<ExecutionInfo>, ProblemHttpResult>> TriggerJob(string id, HttpRequest request, ClaimsPrincipal principal, IGrainFactory grains)
    {
        if (await OwnJobAsync(id, principal, grains) is null)
        {
            return Problems.NotFound("Job", id);
        }
        var (options, problem) = await RequestBody.ReadAsync<TriggerOptions>(request, required: false);
        if (problem is not null)
        {
            return (ProblemHttpResult)problem;
        }
        var key = request.Headers[IdempotencyKeyHeader].FirstOrDefault();
        var result = await grains.GetGrain<IJobGrain>(id).TriggerAsync(options, key);
        if (!result.IsValid)
        {
            // The key travels in a header; its error is named after it.
            return WriteProblem(id, result with { Errors = [.. result.Errors.Select(e => e.Field == "idempotencyKey" ? e with { Field = IdempotencyKeyHeader } : e)] });
        }
        var execution = await grains.GetGrain<IExecutionGrain>(result.ExecutionId!).GetAsync();
        return TypedResults.Accepted($"/api/executions/{result.ExecutionId}", execution);
    }

    public static async Task<Results<Ok<Page<ExecutionInfo>>, ProblemHttpResult>> ListExecutions(
        string id, ClaimsPrincipal principal, IGrainFactory grains, string? state, string? from, string? to, string? limit, string? cursor)
    {
        var errors = new List<FieldError>();
        var executionState = Query.ParseEnum<ExecutionState>(state, "state", errors);
        var fromInstant = Query.ParseInstant(from, "from", errors);
        var toInstant = Query.ParseInstant(to, "to", errors);
        var pageSize = Query.ParseLimit(limit, errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(StatusCodes.Status400BadRequest, errors);
        }
        if (await OwnJobAsync(id, principal, grains) is null)
        {
            return Problems.NotFound("Job", id);
        }
        try
        {
            var page = await grains.GetGrain<IJobGrain>(id).ListExecutionsAsync(new ExecutionQuery
            {
                State = executionState,
                From = fromInstant,
                To = toInstant,
                Limit = pageSize,
                Cursor = cursor,
            });
            return page is null ? Problems.NotFound("Job", id) : TypedResults.Ok(page);
        }
        catch (ArgumentException ex)
        {
            return Problems.Validation(StatusCodes.Status400BadRequest, [new("cursor", ex.Message)]);
        }
    }

    private static ProblemHttpResult WriteProblem(string id, JobWriteResult result)
    {
        if (result.NotFound)
        {
            return Problems.NotFound("Job", id);
        }
        return result.Conflict
            ? Problems.Validation(StatusCodes.Status409Conflict, result.Errors, "The job already exists.")
            : Problems.Validation(StatusCodes.Status422UnprocessableEntity, result.Errors, "The job definition is not valid.");
    }

    /// <summary>The job when it exists and the caller may reach it (theirs, or any for an admin); null otherwise.</summary>
    internal static async Task<JobInfo?> OwnJobAsync(string id, ClaimsPrincipal principal, IGrainFactory grains) =>
        await grains.GetGrain<IJobGrain>(id).GetAsync() is { } job && Caller.Of(principal).MayAccess(job.Owner) ? job : null;

    /// <summary>The positions of batch items that name an existing job the caller may not reach.</summary>
    private static async Task<HashSet<int>> ForeignJobsAsync(JobBatchItem[] items, Caller caller, IGrainFactory grains)
    {
        var foreign = new HashSet<int>();
        if (caller.IsAdmin)
        {
            return foreign;
        }
        var owners = await Task.WhenAll(items.Select(async item =>
            item.Id is { Length: > 0 } id ? (await grains.GetGrain<IJobGrain>(id).GetAsync())?.Owner : null));
        for (var i = 0; i < owners.Length; i++)
        {
            if (owners[i] is { } owner && !caller.MayAccess(owner))
            {
                foreign.Add(i);
            }
        }
        return foreign;
    }
}
