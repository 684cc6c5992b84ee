using JobScheduler.Core.Auth;

namespace JobScheduler.Api.Auth;

/// <summary>Answer of <c>GET /api/auth/me</c>: who the caller is, and the role that decides what they may change.</summary>
public sealed record Me(string Name, string Role)
{
    public static Me Of(Caller caller) => new(caller.Name, UserRoles.Name(caller.Role));
}
