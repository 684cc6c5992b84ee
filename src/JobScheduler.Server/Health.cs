using System.Text.Json;
using JobScheduler.Api.Auth;
using JobScheduler.Core.Auth;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace JobScheduler.Server;

/// <summary>
/// Ready when a grain call round-trips through the silo. An API-only process is a client of the silos, so its probe
/// says who it is like any client call: a viewer no user can be (user names have no colon), who owns nothing.
/// </summary>
internal sealed class ClusterHealthCheck(IGrainFactory grains, ClusterCallerTokens tokens, SigningKeys keys) : IHealthCheck
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(5);
    private static readonly CallerPrincipal Probe = new("system:health", UserRole.Viewer);

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await keys.EnsureLoadedAsync(cancellationToken);
            RequestContext.Set(CallerContextKeys.CallerToken, tokens.For(Probe));
            await grains.GetGrain<IJobQueryGrain>(0).QueryJobsAsync(new JobQuery { Limit = 1 }).WaitAsync(Timeout, cancellationToken);
            return HealthCheckResult.Healthy("The silo answers grain calls and reads its stored jobs.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return HealthCheckResult.Unhealthy("The silo or its storage does not answer.", ex);
        }
    }
}

/// <summary>The JSON body of /health/live and /health/ready, which states whether storage is durable and where the data lives.</summary>
internal static class HealthResponse
{
    public static Task WriteAsync(HttpContext context, HealthReport report)
    {
        var server = context.RequestServices.GetRequiredService<ServerOptions>();
        context.Response.ContentType = "application/json";
        var body = new
        {
            status = report.Status.ToString(),
            storage = server.Storage.ToLowerInvariant(),
            role = server.Role.ToString().ToLowerInvariant(),
            durable = server.Durable,
            data = server.DataLocation,
            warning = server.Durable ? null : "Storage is in memory: jobs and history are lost when this process stops.",
            checks = report.Entries.Select(e => new
            {
                name = e.Key,
                status = e.Value.Status.ToString(),
                description = e.Value.Description,
                durationMs = Math.Round(e.Value.Duration.TotalMilliseconds, 1),
                error = e.Value.Exception?.Message,
            }),
        };
        return JsonSerializer.SerializeAsync(context.Response.Body, body, JobSchedulerJson.Options, context.RequestAborted);
    }
}
