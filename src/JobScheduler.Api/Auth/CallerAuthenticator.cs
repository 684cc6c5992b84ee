using JobScheduler.Core.Auth;

namespace JobScheduler.Api.Auth;

/// <summary>
/// The silos' check of a client call (<see cref="ICallerAuthenticator"/>): a cluster token from the REST front door
/// (<see cref="ClusterCallerTokens"/>), else the SDK's API key, read as the REST API reads it (<see cref="ApiKeys"/>):
/// unknown, revoked or ownerless keys fail, and the user's current role counts.
/// </summary>
public sealed class CallerAuthenticator(ClusterCallerTokens tokens, ApiKeys keys) : ICallerAuthenticator
{
    public async ValueTask<CallerPrincipal?> AuthenticateAsync(string? apiKey, string? callerToken, CancellationToken cancellationToken = default)
    {
        if (callerToken is not null)
        {
            return await tokens.ValidateAsync(callerToken, cancellationToken);
        }
        return apiKey is not null && await keys.ValidateAsync(apiKey, cancellationToken) is { } valid
            ? new CallerPrincipal(valid.User.Username, valid.User.Role)
            : null;
    }
}
