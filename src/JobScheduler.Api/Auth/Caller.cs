using System.Security.Claims;
using JobScheduler.Core.Auth;

namespace JobScheduler.Api.Auth;

/// <summary>The authenticated user of a request: who owns what it creates, and whose resources it may see.</summary>
public sealed record Caller(string Name, UserRole Role)
{
    public bool IsAdmin => Role == UserRole.Admin;

    /// <summary>An admin may reach every resource; anyone else only their own.</summary>
    public bool MayAccess(string? owner) => IsAdmin || string.Equals(owner, Name, StringComparison.Ordinal);

    /// <summary>The caller of an authenticated request (every API route but login requires one).</summary>
    public static Caller Of(ClaimsPrincipal principal) => new(
        principal.FindFirstValue(AuthClaims.Name) ?? throw new InvalidOperationException("The request is not authenticated."),
        UserRoles.Parse(principal.FindFirstValue(AuthClaims.Role) ?? ""));
}
