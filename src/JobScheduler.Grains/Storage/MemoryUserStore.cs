using JobScheduler.Core.Auth;

namespace JobScheduler.Grains.Storage;

/// <summary>Users and API keys of an in-memory silo: they live as long as the process, like everything else it stores.</summary>
public sealed class MemoryUserStore : IUserStore
{
    private readonly Dictionary<string, UserRecord> _users = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ApiKeyRecord> _keys = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private string? _signingKey;

    public Task<UserRecord?> FindUserAsync(string username, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_users.GetValueOrDefault(username));
        }
    }

    public Task<IReadOnlyList<UserRecord>> ListUsersAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<UserRecord>>([.. _users.Values.OrderBy(u => u.Username, StringComparer.Ordinal)]);
        }
    }

    public Task<bool> AnyUserAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_users.Count > 0);
        }
    }

    public Task<bool> AddUserAsync(UserRecord user, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_users.TryAdd(user.Username, user));
        }
    }

    public Task<bool> DeleteUserAsync(string username, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_users.Remove(username))
            {
                return Task.FromResult(false);
            }
            foreach (var key in _keys.Values.Where(k => k.Owner == username && k.RevokedAt is null).ToList())
            {
                _keys[key.Id] = key with { RevokedAt = at };
            }
            return Task.FromResult(true);
        }
    }

    public Task AddApiKeyAsync(ApiKeyRecord key, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _keys.Add(key.Id, key);
            return Task.CompletedTask;
        }
    }

    public Task<ApiKeyRecord?> FindApiKeyAsync(string id, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_keys.GetValueOrDefault(id));
        }
    }

    public Task<IReadOnlyList<ApiKeyRecord>> ListApiKeysAsync(string owner, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<ApiKeyRecord>>([.. _keys.Values.Where(k => k.Owner == owner).OrderBy(k => k.CreatedAt).ThenBy(k => k.Id, StringComparer.Ordinal)]);
        }
    }

    public Task<bool> RevokeApiKeyAsync(string id, string owner, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_keys.TryGetValue(id, out var key) || key.Owner != owner || key.RevokedAt is not null)
            {
                return Task.FromResult(false);
            }
            _keys[id] = key with { RevokedAt = at };
            return Task.FromResult(true);
        }
    }

    public Task TouchApiKeysAsync(IReadOnlyDictionary<string, DateTimeOffset> lastUsed, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            foreach (var (id, at) in lastUsed)
            {
                if (_keys.TryGetValue(id, out var key) && (key.LastUsedAt is null || key.LastUsedAt < at))
                {
                    _keys[id] = key with { LastUsedAt = at };
                }
            }
            return Task.CompletedTask;
        }
    }

    public Task<string> GetOrAddSigningKeyAsync(string candidate, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_signingKey ??= candidate);
        }
    }
}
