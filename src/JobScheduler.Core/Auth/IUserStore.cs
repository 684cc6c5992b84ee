namespace JobScheduler.Core.Auth;

/// <summary>
/// Users, their API keys and the token signing key, kept in the same database as the jobs (PostgreSQL, the SQLite
/// file, or memory) so that every silo and API process sees the same ones. Usernames are compared exactly.
/// </summary>
public interface IUserStore
{
    Task<UserRecord?> FindUserAsync(string username, CancellationToken cancellationToken = default);

    /// <summary>Every user, ordered by name.</summary>
    Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken cancellationToken = default);

    /// <summary>Whether any user exists (the first start creates <c>admin</c> when none does).</summary>
    Task<bool> AnyUserAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds the user; false (and nothing changes) when the name is taken.</summary>
    Task<bool> AddUserAsync(UserRecord user, CancellationToken cancellationToken = default);

    /// <summary>Deletes the user and revokes their API keys at <paramref name="at"/>; false when there is no such user.</summary>
    Task<bool> DeleteUserAsync(string username, DateTimeOffset at, CancellationToken cancellationToken = default);

    Task AddApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken = default);

    Task<ApiKeyRecord?> FindApiKeyAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The keys <paramref name="owner"/> created, revoked ones included, oldest first.</summary>
    Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string owner, CancellationToken cancellationToken = default);

    /// <summary>Revokes the key when it belongs to <paramref name="owner"/> and is not revoked yet; false otherwise.</summary>
    Task<bool> RevokeApiKeyAsync(string id, string owner, DateTimeOffset at, CancellationToken cancellationToken = default);

    /// <summary>Records when keys were last used (batched by the caller; a later instant never goes back).</summary>
    Task TouchApiKeysAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsed, CancellationToken cancellationToken = default);

    /// <summary>
    /// The stored token signing key; when there is none yet, stores <paramref name="candidate"/> and returns it. Several
    /// processes starting at once all get the one that was stored first.
    /// </summary>
    Task<string> GetOrAddSigningKeyAsync(string candidate, CancellationToken cancellationToken = default);
}
