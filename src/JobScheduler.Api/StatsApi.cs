using JobScheduler.Api.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace JobScheduler.Api;

/// <summary><c>/api/stats</c>: counts of jobs and executions by state, from the stored rows: every user's, so admin only.</summary>
public static class StatsApi
{
    public static RouteHandlerBuilder MapStatsApi(this IEndpointRouteBuilder routes) =>
        routes.MapGet("/api/stats", GetStats).RequireAuthorization(AuthPolicies.Admin).WithTags("Stats").WithName("GetStats").WithSummary("Jobs and executions counted by state.");

    public static async Task<Ok<SchedulerStats>> GetStats(IGrainFactory grains) =>
        TypedResults.Ok(await grains.GetGrain<IJobQueryGrain>(0).GetStatsAsync());
}
