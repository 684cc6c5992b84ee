using System.Globalization;
using System.Security.Claims;
using JobScheduler.Api.Audit;
using JobScheduler.Api.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace JobScheduler.Api;

/// <summary>
/// <c>/api/auth</c>: log in for a short-lived bearer token, and create, list and revoke one's own API keys (SPEC §10).
/// </summary>
public static class AuthApi
{
    public static RouteGroupBuilder MapAuthApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/auth").WithTags("Auth");
        group.MapPost("/token", CreateToken).WithName("CreateToken").AllowAnonymous()
            .WithSummary("Log in with a username and password for a short-lived bearer token; attempts are limited per address and username (429).")
            .Accepts<TokenRequest>("application/json");
        group.MapGet("/me", GetMe).WithName("GetMe").WithSummary("The caller's username and role (the web UI shows or hides its buttons by it).");
        group.MapPost("/keys", CreateApiKey).WithName("CreateApiKey").Audited("key.create", createdResource: v => (v as ApiKeyCreated)?.Id)
            .WithSummary("Create an API key for the caller; the key is in this answer only.").Accepts<ApiKeyRequest>("application/json");
        group.MapGet("/keys", ListApiKeys).WithName("ListApiKeys").WithSummary("The caller's API keys with their last use (never the secret).");
        group.MapDelete("/keys/{id}", RevokeApiKey).WithName("RevokeApiKey").Audited("key.revoke").WithSummary("Revoke one of the caller's API keys.");
        return group;
    }

    public static async Task<Results<Ok<TokenResponse>, ProblemHttpResult>> CreateToken(
        HttpRequest request, LoginThrottle throttle, UserAccounts accounts, TokenIssuer issuer)
    {
        var (body, problem) = await RequestBody.ReadAsync<TokenRequest>(request, required: true);
        if (problem is not null)
        {
            return (ProblemHttpResult)problem;
        }
        var errors = new List<FieldError>();
        if (string.IsNullOrEmpty(body!.Username) || body.Username.Length > UserAccounts.MaxUsernameLength)
        {
            errors.Add(new("username", $"is required (at most {UserAccounts.MaxUsernameLength} characters)."));
        }
        if (string.IsNullOrEmpty(body.Password) || body.Password.Length > UserAccounts.MaxPasswordLength)
        {
            errors.Add(new("password", $"is required (at most {UserAccounts.MaxPasswordLength} characters)."));
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(StatusCodes.Status400BadRequest, errors);
        }
        var address = request.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (throttle.Acquire(address, body.Username!) is { } retryAfter)
        {
            request.HttpContext.Response.Headers.RetryAfter = Math.Ceiling(retryAfter.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            return TypedResults.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many login attempts.",
                detail: "Wait for the time Retry-After gives, then try again.");
        }
        if (await accounts.VerifyPasswordAsync(body.Username!, body.Password!, request.HttpContext.RequestAborted) is not { } user)
        {
            // One answer for an unknown user and a wrong password.
            return TypedResults.Problem(statusCode: StatusCodes.Status401Unauthorized, title: "Invalid username or password.");
        }
        return TypedResults.Ok(issuer.Issue(user));
    }

    public static Ok<Me> GetMe(ClaimsPrincipal principal) => TypedResults.Ok(Me.Of(Caller.Of(principal)));

    public static async Task<Results<Created<ApiKeyCreated>, ProblemHttpResult>> CreateApiKey(HttpRequest request, ClaimsPrincipal principal, ApiKeys keys)
    {
        var (body, problem) = await RequestBody.ReadAsync<ApiKeyRequest>(request, required: true);
        if (problem is not null)
        {
            return (ProblemHttpResult)problem;
        }
        if (string.IsNullOrWhiteSpace(body!.Name) || body.Name.Length > ApiKeys.MaxNameLength || body.Name.Any(char.IsControl))
        {
            return Problems.Validation(StatusCodes.Status422UnprocessableEntity, [new("name", $"is required: 1 to {ApiKeys.MaxNameLength} printable characters.")]);
        }
        var (record, key) = await keys.CreateAsync(Caller.Of(principal).Name, body.Name, request.HttpContext.RequestAborted);
        return TypedResults.Created($"/api/auth/keys/{record.Id}", new ApiKeyCreated(record.Id, record.Name, key));
    }

    public static async Task<Ok<Page<ApiKeyInfo>>> ListApiKeys(ClaimsPrincipal principal, ApiKeys keys, CancellationToken cancellationToken) =>
        TypedResults.Ok(new Page<ApiKeyInfo>
        {
            Items = [.. (await keys.ListAsync(Caller.Of(principal).Name, cancellationToken))
                .Select(k => new ApiKeyInfo(k.Id, k.Name, k.CreatedAt, k.LastUsedAt, k.RevokedAt))],
        });

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeApiKey(string id, ClaimsPrincipal principal, ApiKeys keys, CancellationToken cancellationToken) =>
        await keys.RevokeAsync(id, Caller.Of(principal).Name, cancellationToken) ? TypedResults.NoContent() : Problems.NotFound("API key", id);
}

/// <summary>Body of <c>POST /api/auth/token</c>.</summary>
public sealed record TokenRequest
{
    public string? Username { get; init; }

    public string? Password { get; init; }
}

/// <summary>Body of <c>POST /api/auth/keys</c>.</summary>
public sealed record ApiKeyRequest
{
    public string? Name { get; init; }
}

/// <summary>Answer of <c>POST /api/auth/keys</c>: <paramref name="Key"/> is shown this once and never again.</summary>
public sealed record ApiKeyCreated(string Id, string Name, string Key);

/// <summary>An API key as <c>GET /api/auth/keys</c> lists it: never the secret.</summary>
public sealed record ApiKeyInfo(string Id, string Name, DateTimeOffset CreatedAt, DateTimeOffset? LastUsedAt, DateTimeOffset? RevokedAt);
