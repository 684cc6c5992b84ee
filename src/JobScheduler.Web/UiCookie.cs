using JobScheduler.Api.Auth;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace JobScheduler.Web;

/// <summary>
/// The browser session of the web UI: an ASP.NET Core authentication cookie (HttpOnly, SameSite=Strict, Secure when the
/// request is https), issued by <see cref="UiSessionApi"/> to a caller who already holds a bearer token. It is accepted
/// only where a policy names <see cref="Scheme"/> — the Orleans dashboard — never by the REST API, whose default scheme
/// reads bearer tokens and API keys alone; so a forged cross-site request carrying the cookie reaches no API route.
/// </summary>
public static class UiCookie
{
    /// <summary>The cookie authentication scheme.</summary>
    public const string Scheme = "JobScheduler.Ui";

    /// <summary>The policy of the Orleans dashboard: the cookie, role admin.</summary>
    public const string AdminPolicy = "ui-admin";

    /// <summary>The cookie's name.</summary>
    public const string Name = "jobscheduler-ui";

    /// <summary>Where an unauthenticated browser is sent; the page goes back to <c>ReturnUrl</c> after logging in.</summary>
    public const string LoginPath = "/";
}

/// <summary>Cookie settings for <see cref="UiCookie.Scheme"/>; every request re-checks the user as bearer tokens are re-checked.</summary>
internal sealed class ConfigureUiCookie(IOptions<AuthOptions> auth) : IConfigureNamedOptions<CookieAuthenticationOptions>
{
    public void Configure(string? name, CookieAuthenticationOptions options)
    {
        if (name != UiCookie.Scheme)
        {
            return;
        }
        options.Cookie.Name = UiCookie.Name;
        options.Cookie.HttpOnly = true;
        options.Cookie.SameSite = SameSiteMode.Strict;
        options.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
        options.Cookie.Path = "/";
        // As long as a bearer token lives: the page logs in again when its token expires, and so renews the cookie.
        options.ExpireTimeSpan = auth.Value.TokenLifetime;
        options.SlidingExpiration = false;
        options.LoginPath = UiCookie.LoginPath;
        options.Events = new CookieAuthenticationEvents
        {
            OnValidatePrincipal = ValidateAsync,
            // A signed-in user without the role gets 403, not a loop back to the login page.
            OnRedirectToAccessDenied = context =>
            {
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                return Task.CompletedTask;
            },
        };
    }

    public void Configure(CookieAuthenticationOptions options) => Configure(Options.DefaultName, options);

    /// <summary>
    /// The user must still exist with the security stamp and role the cookie carries (deleting a user, or changing their
    /// password or role, ends their browser sessions too), read through the same short cache as bearer tokens.
    /// </summary>
    private static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var accounts = context.HttpContext.RequestServices.GetRequiredService<UserAccounts>();
        if (!await accounts.IsCurrentAsync(context.Principal, context.HttpContext.RequestAborted))
        {
            context.RejectPrincipal();
        }
    }
}
