namespace JobScheduler.Core.Auth;

/// <summary>
/// Turns the credential a client call carries into the user it acts for: the SDK's API key, or the token the REST
/// front door minted for its request. Null when the credential is missing, unknown, revoked, expired or forged.
/// </summary>
public interface ICallerAuthenticator
{
    ValueTask<CallerPrincipal?> AuthenticateAsync(string? apiKey, string? callerToken, CancellationToken cancellationToken = default);
}
