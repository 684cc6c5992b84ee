using Microsoft.AspNetCore.Routing;

namespace JobScheduler.Api;

public static class JobSchedulerApi
{
    /// <summary>Maps every JobScheduler REST endpoint.</summary>
    public static IEndpointRouteBuilder MapJobSchedulerApi(this IEndpointRouteBuilder routes)
    {
        routes.MapJobsApi();
        routes.MapExecutionsApi();
        routes.MapDagsApi();
        routes.MapDagRunsApi();
        routes.MapStatsApi();
        routes.MapNodesApi();
        return routes;
    }
}
