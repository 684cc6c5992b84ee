using System.Globalization;
using System.Threading.RateLimiting;
using JobScheduler.Api.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace JobScheduler.Api;

/// <summary>
/// The per-caller request limit of the REST API (docs/security.md, "Rate limits"): ASP.NET Core's rate limiter with a
/// global token bucket per authenticated user — a bearer token's user, or an API key's owner, so one user's keys and
/// tokens share one bucket. Over the limit: 429, <c>Retry-After</c> in seconds, problem details. Anonymous requests
/// are not limited here (they never get past authorization but to health, the OpenAPI document and the login, which
/// has its own <see cref="LoginThrottle"/>); endpoints marked <c>DisableRateLimiting()</c> (health, OpenAPI) never
/// are. Limits are per process.
/// </summary>
public static class ApiRateLimits
{
    /// <summary>
    /// Limits each authenticated caller; call after <see cref="JobSchedulerAuth.UseJobSchedulerAuth"/>, so the caller
    /// is known and anonymous requests have already answered 401.
    /// </summary>
    public static IApplicationBuilder UseJobSchedulerRateLimits(this IApplicationBuilder app) => app.UseRateLimiter();

    /// <summary>The bucket of one caller: <paramref name="options"/> permits a second, up to its burst at once; no queue.</summary>
    internal static TokenBucketRateLimiterOptions Bucket(ApiRateLimitOptions options) => new()
    {
        TokenLimit = options.Burst,
        TokensPerPeriod = options.PermitsPerSecond,
        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    };

    /// <summary>Who a request counts against: the authenticated username (the <c>sub</c> of a token, the owner of a key), or null.</summary>
    internal static string? CallerOf(HttpContext context) =>
        context.User.Identity?.IsAuthenticated == true ? context.User.FindFirst(AuthClaims.Name)?.Value : null;

    internal static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (long)Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        await TypedResults.Problem(
            statusCode: StatusCodes.Status429TooManyRequests,
            title: "Too many requests.",
            detail: $"This user's request limit is reached; wait {seconds.ToString(CultureInfo.InvariantCulture)} s (Retry-After), then try again.")
            .ExecuteAsync(http);
    }
}

/// <summary>Builds the global limiter from <see cref="JobSchedulerApiOptions.RateLimit"/>; none when <c>PermitsPerSecond</c> is 0.</summary>
internal sealed class ConfigureApiRateLimits(IOptions<JobSchedulerApiOptions> api) : IConfigureOptions<RateLimiterOptions>
{
    public void Configure(RateLimiterOptions options)
    {
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.OnRejected = ApiRateLimits.OnRejectedAsync;
        var limit = api.Value.RateLimit;
        if (limit.PermitsPerSecond <= 0)
        {
            return;
        }
        var bucket = ApiRateLimits.Bucket(limit);
        options.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
            ApiRateLimits.CallerOf(context) is { } caller
                ? RateLimitPartition.GetTokenBucketLimiter(caller, _ => bucket)
                // Unauthenticated: only the anonymous routes get this far (health, OpenAPI, login — limited on its own).
                : RateLimitPartition.GetNoLimiter(string.Empty));
    }
}
