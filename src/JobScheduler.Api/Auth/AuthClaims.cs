namespace JobScheduler.Api.Auth;

/// <summary>
/// The claims JobScheduler puts in a principal, for tokens and API keys alike. Short JWT names, kept as they are
/// (<c>MapInboundClaims</c> off), so the identity's name and role claim types are these.
/// </summary>
public static class AuthClaims
{
    /// <summary>The username.</summary>
    public const string Name = "sub";

    /// <summary>The role: <c>admin</c>, <c>operator</c> or <c>viewer</c>.</summary>
    public const string Role = "role";

    /// <summary>The user's security stamp when the token was issued; a token whose stamp is no longer the user's fails.</summary>
    public const string Stamp = "stamp";

    /// <summary>The API key's id, when the caller authenticated with a key.</summary>
    public const string KeyId = "key_id";
}
