using JobScheduler.Api.Auth;
using JobScheduler.Core.Audit;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobScheduler.Api.Audit;

/// <summary>
/// Records a state-changing endpoint's successful answers in the audit trail (<see cref="IAuditLog"/>), before the answer
/// is written: who (the caller), what (<paramref name="action"/>, or <paramref name="createdAction"/> when it answered
/// 201), which resource (the route's id, else <paramref name="createdResource"/> of the answer's value) and the status.
/// Never the body. A failed audit write is logged and the caller still gets their answer: the change has happened.
/// </summary>
internal sealed partial class AuditFilter(string action, string? createdAction, Func<object?, string?>? createdResource) : IEndpointFilter
{
    /// <summary>Route values that name the resource, in the order they are looked for.</summary>
    private static readonly string[] RouteIds = ["id", "runId", "name"];

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var answer = await next(context);
        var http = context.HttpContext;
        var services = http.RequestServices;
        var log = services.GetService<IAuditLog>();
        if (log is null || Unwrap(answer) is not { } result || result is not IStatusCodeHttpResult { StatusCode: >= 200 and < 300 and var status })
        {
            return answer;
        }
        var entries = result is IValueHttpResult { Value: JobBatchResponse batch }
            ? [.. batch.Results.Where(r => r.Status is StatusCodes.Status200OK or StatusCodes.Status201Created && r.Id is not null)
                .Select(r => (r.Status == StatusCodes.Status201Created ? createdAction ?? action : action, r.Id!, r.Status))]
            : new (string Action, string Resource, int Status)[]
            {
                (status == StatusCodes.Status201Created ? createdAction ?? action : action, ResourceOf(http, result) ?? "", status),
            };
        var actor = Caller.Of(http.User).Name;
        var time = services.GetRequiredService<TimeProvider>();
        foreach (var (what, resource, code) in entries)
        {
            var now = time.GetUtcNow();
            var entry = new AuditEntry(Guid.CreateVersion7(now).ToString("n"), now, actor, what, resource, code);
            try
            {
                // Not the request's token: a caller who hangs up after the change is still audited.
                await log.AppendAsync(entry, CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogAuditWriteFailed(services.GetRequiredService<ILogger<AuditFilter>>(), ex, entry.Action, entry.Actor, entry.Resource);
            }
        }
        return answer;
    }

    private string? ResourceOf(HttpContext http, IResult result)
    {
        foreach (var key in RouteIds)
        {
            if (http.Request.RouteValues.TryGetValue(key, out var value) && value is string id)
            {
                return id;
            }
        }
        return createdResource?.Invoke((result as IValueHttpResult)?.Value);
    }

    private static IResult? Unwrap(object? answer)
    {
        var result = answer as IResult;
        while (result is INestedHttpResult nested)
        {
            result = nested.Result;
        }
        return result;
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record '{Action}' by '{Actor}' on '{Resource}' in the audit trail; the change itself was made.")]
    private static partial void LogAuditWriteFailed(ILogger logger, Exception exception, string action, string actor, string resource);
}
