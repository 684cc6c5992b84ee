namespace JobScheduler.Core.Auth;

/// <summary>
/// A stored API key: never the secret, only its SHA-256 (<paramref name="SecretHash"/>, 32 bytes). The key a client
/// sends is <c>js_&lt;Id&gt;_&lt;secret&gt;</c>; the row is found by <paramref name="Id"/>.
/// </summary>
public sealed record ApiKeyRecord(
    string Id,
    string Owner,
    string Name,
    byte[] SecretHash,
    DateTimeOffset CreatedAt,
    DateTimeOffset? LastUsedAt,
    DateTimeOffset? RevokedAt);
