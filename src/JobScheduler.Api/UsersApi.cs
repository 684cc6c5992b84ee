using System.Security.Claims;
using JobScheduler.Api.Audit;
using JobScheduler.Api.Auth;
using JobScheduler.Core.Auth;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace JobScheduler.Api;

/// <summary><c>/api/users</c>: create, list and delete users (admin only). Passwords are hashed; answers never carry them.</summary>
public static class UsersApi
{
    public static RouteGroupBuilder MapUsersApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/users").WithTags("Users").RequireAuthorization(AuthPolicies.Admin);
        group.MapPost("/", CreateUser).WithName("CreateUser").Audited("user.create", createdResource: v => (v as UserInfo)?.Username).WithSummary("Create a user with a password and a role (admin, operator or viewer).")
            .Accepts<UserRequest>("application/json");
        group.MapGet("/", ListUsers).WithName("ListUsers").WithSummary("Every user with their role.");
        group.MapDelete("/{name}", DeleteUser).WithName("DeleteUser").Audited("user.delete").WithSummary("Delete a user: their tokens and API keys stop working; their jobs stay.");
        return group;
    }

    public static async Task<Results<Created<UserInfo>, ProblemHttpResult>> CreateUser(HttpRequest request, IUserStore store, UserAccounts accounts)
    {
        var (body, problem) = await RequestBody.ReadAsync<UserRequest>(request, required: true);
        if (problem is not null)
        {
            return (ProblemHttpResult)problem;
        }
        var errors = new List<FieldError>();
        if (!UserAccounts.IsAcceptableUsername(body!.Username))
        {
            errors.Add(new("username", $"must be 1 to {UserAccounts.MaxUsernameLength} letters, digits or . _ @ -."));
        }
        if (!UserAccounts.IsAcceptablePassword(body.Password))
        {
            errors.Add(new("password", $"must be {UserAccounts.MinPasswordLength} to {UserAccounts.MaxPasswordLength} characters."));
        }
        if (!UserRoles.TryParse(body.Role, out var role))
        {
            errors.Add(new("role", "must be admin, operator or viewer."));
        }
        if (errors.Count > 0)
        {
            return Problems.Validation(StatusCodes.Status422UnprocessableEntity, errors);
        }
        var user = accounts.NewUser(body.Username!, body.Password!, role);
        if (!await store.AddUserAsync(user, request.HttpContext.RequestAborted))
        {
            return Problems.Validation(StatusCodes.Status409Conflict, [new("username", "is taken.")], "The user already exists.");
        }
        // A user deleted and created again must not inherit the cached record of the old one.
        accounts.Forget(user.Username);
        return TypedResults.Created($"/api/users/{user.Username}", UserInfo.Of(user));
    }

    public static async Task<Ok<Page<UserInfo>>> ListUsers(IUserStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok(new Page<UserInfo> { Items = [.. (await store.ListUsersAsync(cancellationToken)).Select(UserInfo.Of)] });

    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteUser(
        string name, ClaimsPrincipal principal, IUserStore store, UserAccounts accounts, ApiKeys keys, TimeProvider time, CancellationToken cancellationToken)
    {
        if (name == Caller.Of(principal).Name)
        {
            return Problems.Validation(StatusCodes.Status409Conflict, [new("name", "is the caller; an admin cannot delete themselves.")], "The user cannot be deleted.");
        }
        var userKeys = await store.ListApiKeysAsync(name, cancellationToken);
        if (!await store.DeleteUserAsync(name, time.GetUtcNow(), cancellationToken))
        {
            return Problems.NotFound("User", name);
        }
        accounts.Forget(name);
        keys.ForgetOwner(userKeys);
        return TypedResults.NoContent();
    }
}

/// <summary>Body of <c>POST /api/users</c>.</summary>
public sealed record UserRequest
{
    public string? Username { get; init; }

    public string? Password { get; init; }

    public string? Role { get; init; }
}

/// <summary>A user as the API shows one: never the password hash or the security stamp.</summary>
public sealed record UserInfo(string Username, string Role, DateTimeOffset CreatedAt)
{
    public static UserInfo Of(UserRecord user) => new(user.Username, UserRoles.Name(user.Role), user.CreatedAt);
}
