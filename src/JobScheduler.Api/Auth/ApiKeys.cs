using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using JobScheduler.Core.Auth;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace JobScheduler.Api.Auth;

/// <summary>
/// API keys for machines: <c>js_&lt;id&gt;_&lt;secret&gt;</c>, the secret 32 random bytes shown once and stored as its
/// SHA-256 (a slow hash adds nothing for 256 random bits), compared in fixed time. A valid key is cached for
/// <see cref="AuthOptions.CacheDuration"/>; its last use is kept in memory and written once a minute
/// (<see cref="ApiKeyUsageFlusher"/>).
/// </summary>
public sealed class ApiKeys(IUserStore store, UserAccounts users, IMemoryCache cache, IOptions<AuthOptions> options, TimeProvider time)
{
    public const string Prefix = "js_";
    public const int MaxNameLength = 100;

    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastUsed = new(StringComparer.Ordinal);

    /// <summary>Creates a key for <paramref name="owner"/>; the returned text is the only time the secret exists outside the caller.</summary>
    public async Task<(ApiKeyRecord Record, string Key)> CreateAsync(string owner, string name, CancellationToken cancellationToken)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        var secret = UserAccounts.Base64UrlText(RandomNumberGenerator.GetBytes(32));
        var record = new ApiKeyRecord(id, owner, name, Hash(secret), time.GetUtcNow(), null, null);
        await store.AddApiKeyAsync(record, cancellationToken);
        return (record, $"{Prefix}{id}_{secret}");
    }

    /// <summary>The key's owner when <paramref name="key"/> is a valid, unrevoked key of an existing user; null otherwise.</summary>
    public async Task<(ApiKeyRecord Key, UserRecord User)?> ValidateAsync(string key, CancellationToken cancellationToken)
    {
        if (!TryParse(key, out var id, out var secret))
        {
            return null;
        }
        var record = await cache.GetOrCreateAsync(CacheKey(id), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = options.Value.CacheDuration;
            return await store.FindApiKeyAsync(id, cancellationToken);
        });
        if (record is null || record.RevokedAt is not null || !CryptographicOperations.FixedTimeEquals(record.SecretHash, Hash(secret)))
        {
            return null;
        }
        if (await users.FindCachedAsync(record.Owner, cancellationToken) is not { } user)
        {
            return null;
        }
        _lastUsed[id] = time.GetUtcNow();
        return (record, user);
    }

    public async Task<IReadOnlyList<ApiKeyRecord>> ListAsync(string owner, CancellationToken cancellationToken)
    {
        var keys = await store.ListApiKeysAsync(owner, cancellationToken);
        // Uses not yet written show here at once.
        return [.. keys.Select(k => _lastUsed.TryGetValue(k.Id, out var at) && (k.LastUsedAt is null || k.LastUsedAt < at) ? k with { LastUsedAt = at } : k)];
    }

    public async Task<bool> RevokeAsync(string id, string owner, CancellationToken cancellationToken)
    {
        var revoked = await store.RevokeApiKeyAsync(id, owner, time.GetUtcNow(), cancellationToken);
        cache.Remove(CacheKey(id));
        return revoked;
    }

    /// <summary>Forgets every cached key (after a user is deleted, so their keys fail here at once).</summary>
    public void ForgetOwner(IEnumerable<ApiKeyRecord> keys)
    {
        foreach (var key in keys)
        {
            cache.Remove(CacheKey(key.Id));
        }
    }

    /// <summary>Writes the last-use instants gathered since the previous call.</summary>
    public async Task FlushUsageAsync(CancellationToken cancellationToken)
    {
        var pending = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        foreach (var id in _lastUsed.Keys)
        {
            if (_lastUsed.TryRemove(id, out var at))
            {
                pending[id] = at;
            }
        }
        await store.TouchApiKeysAsync(pending, cancellationToken);
    }

    internal static bool TryParse(string key, out string id, out string secret)
    {
        (id, secret) = ("", "");
        if (!key.StartsWith(Prefix, StringComparison.Ordinal) || key.Length > 200)
        {
            return false;
        }
        var separator = key.IndexOf('_', Prefix.Length);
        if (separator <= Prefix.Length || separator == key.Length - 1)
        {
            return false;
        }
        (id, secret) = (key[Prefix.Length..separator], key[(separator + 1)..]);
        return true;
    }

    private static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    private static string CacheKey(string id) => "js-api-key:" + id;
}
