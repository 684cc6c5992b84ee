using System.Security.Claims;
using System.Text.Encodings.Web;
using JobScheduler.Core.Auth;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobScheduler.Api.Auth;

/// <summary>Authenticates a request by its <c>X-Api-Key</c> header (<see cref="ApiKeys"/>); the principal is the key's owner with their current role.</summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeys keys) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (Request.Headers[AuthPolicies.ApiKeyHeader].FirstOrDefault() is not { Length: > 0 } key)
        {
            return AuthenticateResult.NoResult();
        }
        if (await keys.ValidateAsync(key, Context.RequestAborted) is not { } valid)
        {
            return AuthenticateResult.Fail("The API key is not valid.");
        }
        var (record, user) = valid;
        var identity = new ClaimsIdentity(
        [
            new Claim(AuthClaims.Name, user.Username),
            new Claim(AuthClaims.Role, UserRoles.Name(user.Role)),
            new Claim(AuthClaims.KeyId, record.Id),
        ], SchemeName, AuthClaims.Name, AuthClaims.Role);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}
