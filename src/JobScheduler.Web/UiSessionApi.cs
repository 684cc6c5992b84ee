using System.Security.Claims;
using JobScheduler.Api.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace JobScheduler.Web;

/// <summary>
/// <c>/ui/session</c>: trades the page's bearer token for the browser-session cookie (<see cref="UiCookie"/>) that the
/// Orleans dashboard needs, since a browser navigating there sends no <c>Authorization</c> header; and ends it. The
/// password is checked once, by <c>POST /api/auth/token</c>; this route takes only a bearer token (never an API key,
/// which belongs to a machine, and never the cookie itself), so it cannot be called cross-site.
/// </summary>
public static class UiSessionApi
{
    public static RouteGroupBuilder MapUiSessionApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/ui/session").WithTags("Web UI").ExcludeFromDescription();
        group.MapPost("/", StartSession).WithName("StartUiSession")
            .RequireAuthorization(new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme).RequireAuthenticatedUser().Build());
        group.MapDelete("/", (Delegate)EndSession).WithName("EndUiSession").AllowAnonymous();
        return group;
    }

    public static async Task<NoContent> StartSession(HttpContext context, ClaimsPrincipal principal)
    {
        var claims = new[] { AuthClaims.Name, AuthClaims.Role, AuthClaims.Stamp }
            .Select(type => new Claim(type, principal.FindFirstValue(type) ?? ""));
        var identity = new ClaimsIdentity(claims, UiCookie.Scheme, AuthClaims.Name, AuthClaims.Role);
        await context.SignInAsync(UiCookie.Scheme, new ClaimsPrincipal(identity), new AuthenticationProperties { IsPersistent = false });
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> EndSession(HttpContext context)
    {
        await context.SignOutAsync(UiCookie.Scheme);
        return TypedResults.NoContent();
    }
}
