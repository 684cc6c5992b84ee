using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace JobScheduler.Api;

/// <summary>
/// Reads a JSON request body with JobScheduler's JSON rules, turning every way it can be wrong (too large,
/// malformed, a wrong type, an unknown field) into a problem response that names the offending field.
/// </summary>
internal static class RequestBody
{
    /// <summary>The largest request body accepted.</summary>
    public const long MaxBytes = 1024 * 1024;

    public static async Task<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, bool required)
        where T : class
    {
        if (request.ContentLength > MaxBytes)
        {
            return (null, TooLarge());
        }
        using var buffer = new MemoryStream();
        var read = await CopyBoundedAsync(request.Body, buffer, request.HttpContext.RequestAborted);
        if (!read)
        {
            return (null, TooLarge());
        }
        if (buffer.Length == 0)
        {
            return required
                ? (null, Problems.Validation(StatusCodes.Status400BadRequest, [new("body", "a JSON object is required.")], "The request body is missing."))
                : (null, null);
        }
        buffer.Position = 0;
        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(buffer, JobSchedulerJson.Options, request.HttpContext.RequestAborted);
            return value is null
                ? (null, Problems.Validation(StatusCodes.Status400BadRequest, [new("body", "must be a JSON object, not null.")], "The request body is not valid."))
                : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Problems.Validation(StatusCodes.Status400BadRequest, [new(FieldOf(ex), Describe(ex))], "The request body is not valid JSON for this resource."));
        }
    }

    private static async Task<bool> CopyBoundedAsync(Stream source, Stream target, CancellationToken cancellationToken)
    {
        var chunk = new byte[16 * 1024];
        int count;
        while ((count = await source.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (target.Length + count > MaxBytes)
            {
                return false;
            }
            await target.WriteAsync(chunk.AsMemory(0, count), cancellationToken);
        }
        return true;
    }

    private static ProblemHttpResult TooLarge() => TypedResults.Problem(
        statusCode: StatusCodes.Status413PayloadTooLarge,
        title: "The request body is too large.",
        detail: $"Request bodies are limited to {MaxBytes / 1024} KiB.");

    /// <summary>"$.schedule.every" → "schedule.every"; "$" → "body".</summary>
    private static string FieldOf(JsonException ex)
    {
        var path = ex.Path;
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "body";
        }
        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    private static string Describe(JsonException ex)
    {
        var message = ex.Message;
        if (message.Contains("could not be mapped to any .NET member", StringComparison.Ordinal))
        {
            return "is not a known field.";
        }
        if (ex.InnerException is JsonException inner && !string.IsNullOrEmpty(inner.Message))
        {
            message = inner.Message;
        }
        // System.Text.Json appends "Path: … | LineNumber: …" to its messages; the field is reported separately.
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}

/// <summary>Problem responses (RFC 9457) used across the API.</summary>
internal static class Problems
{
    public static ProblemHttpResult Validation(int status, IEnumerable<FieldError> errors, string title = "The request is not valid.")
    {
        var list = errors.ToList();
        return TypedResults.Problem(new HttpValidationProblemDetails(
            list.GroupBy(e => e.Field).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()))
        {
            Status = status,
            Title = title,
            Detail = string.Join(" ", list.Select(e => $"{e.Field}: {e.Message}")),
        });
    }

    public static ProblemHttpResult NotFound(string what, string id) => TypedResults.Problem(
        statusCode: StatusCodes.Status404NotFound,
        title: $"{what} not found.",
        detail: $"There is no {InSentence(what)} with id '{id}'.");

    /// <summary>"Job" → "job", "DAG run" → "DAG run": an acronym keeps its capitals mid-sentence.</summary>
    private static string InSentence(string what) =>
        what.Length > 1 && char.IsUpper(what[1]) ? what : char.ToLowerInvariant(what[0]) + what[1..];
}
