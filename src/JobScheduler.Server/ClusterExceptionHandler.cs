using System.Globalization;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace JobScheduler.Server;

/// <summary>
/// A cluster or database that does not answer is a 503 the client may retry (with <c>Retry-After</c>), not a 500: a
/// grain call that timed out (<c>JobScheduler:Api:GrainCallTimeout</c> in the API's own process) or was refused because
/// its silo is gone, or a database that is down.
/// </summary>
internal sealed class ClusterExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    /// <summary>
    /// Seconds a client should wait before retrying: about the time the cluster takes to declare a dead or frozen silo
    /// dead and route requests elsewhere (5–6 s, docs/cluster.md), and long enough for a restarting database.
    /// </summary>
    public const int RetryAfterSeconds = 5;

    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (TimeoutException or OrleansMessageRejectionException or SiloUnavailableException or System.Data.Common.DbException or StorageUnavailableException))
        {
            return false;
        }
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        httpContext.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = exception is System.Data.Common.DbException or StorageUnavailableException ? "The database is not answering." : "The cluster is not answering.",
                Detail = $"The request may be retried (Retry-After: {RetryAfterSeconds.ToString(CultureInfo.InvariantCulture)} s).",
            },
        });
    }
}
