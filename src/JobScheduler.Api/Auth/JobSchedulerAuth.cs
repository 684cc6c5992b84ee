using JobScheduler.Core.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace JobScheduler.Api.Auth;

/// <summary>
/// Authentication (bearer tokens or <c>X-Api-Key</c>) and authorization (every route needs a caller; roles by policy)
/// for the REST API. Needs an <see cref="IUserStore"/> (the storage registrations add one) and a <see cref="TimeProvider"/>.
/// </summary>
public static class JobSchedulerAuth
{
    /// <summary>Registers users, tokens, API keys, the login throttle and the start-up step that creates the first admin. Idempotent.</summary>
    public static IServiceCollection AddJobSchedulerAuth(this IServiceCollection services)
    {
        if (services.Any(d => d.ServiceType == typeof(SigningKeys)))
        {
            return services;
        }
        services.AddOptions<AuthOptions>().BindConfiguration(AuthOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>());
        services.AddMemoryCache();
        services.TryAddSingleton<SigningKeys>();
        services.TryAddSingleton<TokenIssuer>();
        services.TryAddSingleton<UserAccounts>();
        services.TryAddSingleton<ApiKeys>();
        services.TryAddSingleton<LoginThrottle>();
        services.TryAddSingleton<ClusterCallerTokens>();
        services.TryAddSingleton<ICallerAuthenticator, CallerAuthenticator>();
        services.AddHostedService<AuthStartup>();
        services.AddHostedService<ApiKeyUsageFlusher>();

        services.AddAuthentication(AuthPolicies.Scheme)
            .AddPolicyScheme(AuthPolicies.Scheme, "Bearer token or API key", o => o.ForwardDefaultSelector = context =>
                context.Request.Headers.ContainsKey(AuthPolicies.ApiKeyHeader) ? ApiKeyAuthenticationHandler.SchemeName : JwtBearerDefaults.AuthenticationScheme)
            .AddJwtBearer()
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddOptions<JwtBearerOptions>(JwtBearerDefaults.AuthenticationScheme)
            .Configure<SigningKeys, IOptions<AuthOptions>, TimeProvider>((jwt, keys, auth, time) =>
            {
                jwt.MapInboundClaims = false;
                jwt.TokenValidationParameters = TokenIssuer.ValidationParameters(keys, auth.Value, time);
                jwt.Events = new JwtBearerEvents { OnTokenValidated = CheckStampAsync };
            });

        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder(AuthPolicies.Scheme).RequireAuthenticatedUser().Build())
            .AddPolicy(AuthPolicies.Operator, p => p.RequireAuthenticatedUser().RequireRole(UserRoles.Admin, UserRoles.Operator))
            .AddPolicy(AuthPolicies.Admin, p => p.RequireAuthenticatedUser().RequireRole(UserRoles.Admin));
        return services;
    }

    /// <summary>
    /// Authentication then authorization; call after routing and before the endpoints run. The grain calls an
    /// authenticated request makes then carry a cluster token for its user (<see cref="ClusterCallerTokens"/>), which
    /// the silos check: ownership and roles hold in the grains as they do here.
    /// </summary>
    public static IApplicationBuilder UseJobSchedulerAuth(this IApplicationBuilder app) =>
        app.UseAuthentication().UseAuthorization().Use(async (context, next) =>
        {
            // Set inside this async step, the entry lives as long as the request's flow and never leaks to another.
            if (context.User.Identity?.IsAuthenticated == true)
            {
                var caller = Caller.Of(context.User);
                var tokens = context.RequestServices.GetRequiredService<ClusterCallerTokens>();
                Orleans.Runtime.RequestContext.Set(CallerContextKeys.CallerToken, tokens.For(new CallerPrincipal(caller.Name, caller.Role)));
            }
            await next(context);
        });

    /// <summary>
    /// A valid signature is not enough: the user must still exist with the security stamp the token carries (deleting
    /// a user, or changing their password or role, changes it), read through a short cache.
    /// </summary>
    private static async Task CheckStampAsync(TokenValidatedContext context)
    {
        var accounts = context.HttpContext.RequestServices.GetRequiredService<UserAccounts>();
        if (!await accounts.IsCurrentAsync(context.Principal, context.HttpContext.RequestAborted))
        {
            context.Fail("The token's user no longer exists or has changed.");
        }
    }
}
