using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;

namespace JobScheduler.Web.Hosting;

/// <summary>The web UI (docs/ui.md): its pages, its browser session, and the Orleans dashboard for admins.</summary>
public static class WebUiExtensions
{
    /// <summary>
    /// Adds the UI's cookie scheme (<see cref="UiCookie"/>) and the dashboard's policy. Call after
    /// <c>AddJobSchedulerApi()</c>, whose default scheme (bearer token or API key) stays the only one the API accepts. Idempotent.
    /// </summary>
    public static IServiceCollection AddJobSchedulerWebUi(this IServiceCollection services)
    {
        if (services.Any(d => d.ImplementationType == typeof(ConfigureUiCookie)))
        {
            return services;
        }
        services.AddAuthentication().AddCookie(UiCookie.Scheme);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<CookieAuthenticationOptions>, ConfigureUiCookie>());
        services.AddAuthorizationBuilder().AddPolicy(UiCookie.AdminPolicy, p => p
            .AddAuthenticationSchemes(UiCookie.Scheme)
            .RequireAuthenticatedUser()
            .RequireRole(Core.Auth.UserRoles.Admin));
        return services;
    }

    /// <summary>Maps the pages at <c>/</c> and <c>/ui/…</c> and the session route <c>/ui/session</c>.</summary>
    public static IEndpointRouteBuilder MapJobSchedulerWebUi(this IEndpointRouteBuilder routes)
    {
        routes.MapUiAssets();
        routes.MapUiSessionApi();
        return routes;
    }

    /// <summary>
    /// Maps the Orleans dashboard at <c>/orleans</c> for admins signed in to the UI (the cookie); others get 403 and an
    /// anonymous browser is sent to the login page. Needs <c>AddDashboard()</c> on every silo and on this host's Orleans
    /// client or silo.
    /// </summary>
    public static IEndpointConventionBuilder MapJobSchedulerDashboard(this IEndpointRouteBuilder routes) =>
        routes.MapOrleansDashboard("/orleans").RequireAuthorization(UiCookie.AdminPolicy);
}
