using JobScheduler.Api.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace JobScheduler.Api;

public static class JobSchedulerApi
{
    /// <summary>
    /// Registers the API's options (<see cref="JobSchedulerApiOptions"/>, validated at start) and its users, tokens and
    /// API keys (<see cref="JobSchedulerAuth.AddJobSchedulerAuth"/>; needs an <c>IUserStore</c>) and the per-user rate limit
    /// (<see cref="ApiRateLimits"/>; apply it with <see cref="ApiRateLimits.UseJobSchedulerRateLimits"/>). Idempotent.
    /// </summary>
    public static IServiceCollection AddJobSchedulerApi(this IServiceCollection services)
    {
        services.AddOptions<JobSchedulerApiOptions>().BindConfiguration(JobSchedulerApiOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<JobSchedulerApiOptions>, JobSchedulerApiOptionsValidator>());
        services.AddJobSchedulerAuth();
        services.AddRateLimiter(_ => { });
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<RateLimiterOptions>, ConfigureApiRateLimits>());
        return services;
    }

    /// <summary>
    /// Maps every JobScheduler REST endpoint, each with its request body limit (<see cref="JobSchedulerApiOptions"/>; the
    /// defaults when <see cref="AddJobSchedulerApi"/> was not called).
    /// </summary>
    public static IEndpointRouteBuilder MapJobSchedulerApi(this IEndpointRouteBuilder routes)
    {
        var limits = routes.ServiceProvider.GetService<IOptions<JobSchedulerApiOptions>>()?.Value ?? new();
        var body = new BodySizeLimit(limits.MaxRequestBodyBytes);
        // Endpoint metadata outranks the group's: the batch route keeps its larger limit (MapJobsApi).
        routes.MapJobsApi().WithMetadata(body);
        routes.MapExecutionsApi().WithMetadata(body);
        routes.MapDagsApi().WithMetadata(body);
        routes.MapDagRunsApi().WithMetadata(body);
        routes.MapStatsApi().WithMetadata(body);
        routes.MapNodesApi().WithMetadata(body);
        routes.MapAuthApi().WithMetadata(body);
        routes.MapUsersApi().WithMetadata(body);
        routes.MapAuditApi().WithMetadata(body);
        return routes;
    }
}

/// <summary>An endpoint's request body limit: the server refuses to read beyond it, and <see cref="RequestBody"/> answers 413.</summary>
internal sealed record BodySizeLimit(long Bytes) : IRequestSizeLimitMetadata
{
    public long? MaxRequestBodySize => Bytes;
}
