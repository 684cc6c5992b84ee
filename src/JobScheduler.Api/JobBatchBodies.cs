using System.Text.Json.Serialization;

namespace JobScheduler.Api;

/// <summary>The body of <c>POST /api/jobs/batch</c>: <c>{"jobs":[{"id":"a", …job fields…}, …]}</c>, 1 to 1000 jobs.</summary>
public sealed record JobBatchRequest
{
    public JobBatchRequestItem?[]? Jobs { get; init; }
}

/// <summary>One job of a batch: the fields of a <see cref="JobSpec"/> plus an optional <c>id</c> (none: a generated id, created only).</summary>
public sealed record JobBatchRequestItem : JobSpec
{
    public string? Id { get; init; }
}

/// <summary>The answer to a batch: one result per job, in the order sent.</summary>
public sealed record JobBatchResponse(JobBatchItemResult[] Results);

/// <summary>
/// One job's outcome: <c>status</c> 201 (created), 200 (replaced), 409 (id taken) or 422 (invalid; <c>errors</c> name
/// the fields as <c>jobs[i].…</c>). <c>job</c> is the stored job, null when nothing was stored.
/// </summary>
public sealed record JobBatchItemResult(
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] string? Id,
    int Status,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] JobInfo? Job,
    FieldError[] Errors);
