namespace JobScheduler;

/// <summary>One job of a batch: an optional id (none means a generated id, created only) and its definition.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.JobBatchItem")]
public sealed record JobBatchItem([property: Id(0)] string? Id, [property: Id(1)] JobSpec Spec);

/// <summary>The outcome of <see cref="IJobBatchGrain.PutManyAsync"/>.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.JobBatchWriteResult")]
public sealed record JobBatchWriteResult
{
    /// <summary>Why the batch as a whole was refused (fields <c>jobs</c> or <c>jobs[i]…</c>); nothing was written. Empty when accepted.</summary>
    [Id(0)] public FieldError[] Errors { get; init; } = [];

    /// <summary>One result per item, in input order (empty when the batch was refused). Item errors name fields within the item.</summary>
    [Id(1)] public JobWriteResult[] Results { get; init; } = [];

    public bool IsValid => Errors.Length == 0;
}

/// <summary>The limits of a batch and the checks that refuse a batch as a whole, shared by the silo, the REST API and the SDK.</summary>
public static class JobBatch
{
    /// <summary>The most items one batch call takes.</summary>
    public const int MaxItems = 1000;

    /// <summary>The most items of one batch written at the same time.</summary>
    public const int MaxInFlight = 256;

    /// <summary>
    /// What makes a batch unacceptable as a whole: no items, more than <paramref name="maxItems"/>, a missing item or
    /// definition, or an id given twice (ids are case-sensitive). Fields are named <c>jobs</c> and <c>jobs[i]…</c>.
    /// </summary>
    public static IReadOnlyList<FieldError> Validate(IReadOnlyList<JobBatchItem?>? items, int maxItems = MaxItems)
    {
        if (items is null || items.Count == 0)
        {
            return [new("jobs", "at least one job is required.")];
        }
        if (items.Count > maxItems)
        {
            return [new("jobs", $"{items.Count} jobs is more than the {maxItems} a batch may hold; split it.")];
        }
        var errors = new List<FieldError>();
        var firstIndexOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i] is not { Spec: not null } item)
            {
                errors.Add(new($"jobs[{i}]", "must be a job definition, not null."));
            }
            else if (item.Id is { } id && !firstIndexOf.TryAdd(id, i))
            {
                errors.Add(new($"jobs[{i}].id", $"'{id}' is also the id of jobs[{firstIndexOf[id]}]; ids must be unique within a batch."));
            }
        }
        return errors;
    }
}
