using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace JobScheduler.Server;

/// <summary>A cluster or database that does not answer is a 503 the client may retry, not a 500.</summary>
internal sealed class ClusterExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (TimeoutException or OrleansMessageRejectionException or SiloUnavailableException or System.Data.Common.DbException or StorageUnavailableException))
        {
            return false;
        }
        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = StatusCodes.Status503ServiceUnavailable,
                Title = exception is System.Data.Common.DbException or StorageUnavailableException ? "The database is not answering." : "The cluster is not answering.",
                Detail = "The request may be retried.",
            },
        });
    }
}
