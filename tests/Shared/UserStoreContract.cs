using JobScheduler.Core.Auth;

namespace JobScheduler.Testing;

/// <summary>
/// What every <see cref="IUserStore"/> must do, run against each store (memory, SQLite, PostgreSQL) by a subclass that
/// gives it a fresh, empty store.
/// </summary>
public abstract class UserStoreContract
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    protected abstract IUserStore Store { get; }

    private static UserRecord User(string name, UserRole role = UserRole.Operator) => new(name, role, "hash-" + name, "stamp-" + name, T0);

    private static ApiKeyRecord Key(string id, string owner, int minute = 0) =>
        new(id, owner, "key " + id, [.. Enumerable.Range(0, 32).Select(i => (byte)(i + id.Length))], T0.AddMinutes(minute), null, null);

    [Fact]
    public async Task Users_AreAddedOnce_FoundByExactName_AndListedInOrder()
    {
        Assert.False(await Store.AnyUserAsync());
        Assert.True(await Store.AddUserAsync(User("bob", UserRole.Viewer)));
        Assert.True(await Store.AddUserAsync(User("alice", UserRole.Admin)));
        Assert.False(await Store.AddUserAsync(User("alice", UserRole.Viewer)));

        Assert.True(await Store.AnyUserAsync());
        Assert.Equal(User("alice", UserRole.Admin), await Store.FindUserAsync("alice"));
        Assert.Null(await Store.FindUserAsync("Alice"));
        Assert.Equal(["alice", "bob"], (await Store.ListUsersAsync()).Select(u => u.Username));
        Assert.Equal(UserRole.Viewer, (await Store.FindUserAsync("bob"))!.Role);
    }

    [Fact]
    public async Task DeleteUser_RemovesTheUser_AndRevokesOnlyTheirKeys()
    {
        await Store.AddUserAsync(User("carol"));
        await Store.AddUserAsync(User("dave"));
        await Store.AddApiKeyAsync(Key("k1", "carol"));
        await Store.AddApiKeyAsync(Key("k2", "dave"));

        Assert.True(await Store.DeleteUserAsync("carol", T0.AddHours(1)));
        Assert.False(await Store.DeleteUserAsync("carol", T0.AddHours(2)));

        Assert.Null(await Store.FindUserAsync("carol"));
        Assert.Equal(T0.AddHours(1), (await Store.FindApiKeyAsync("k1"))!.RevokedAt);
        Assert.Null((await Store.FindApiKeyAsync("k2"))!.RevokedAt);
    }

    [Fact]
    public async Task ApiKeys_RoundTrip_AreListedByOwner_AndRevokedOnlyByTheirOwnerOnce()
    {
        await Store.AddApiKeyAsync(Key("b", "erin", minute: 2));
        await Store.AddApiKeyAsync(Key("a", "erin", minute: 1));
        await Store.AddApiKeyAsync(Key("c", "frank"));

        var found = await Store.FindApiKeyAsync("a");
        Assert.NotNull(found);
        Assert.Equal(Key("a", "erin", minute: 1).SecretHash, found.SecretHash);
        Assert.Equal(T0.AddMinutes(1), found.CreatedAt);
        Assert.Null(await Store.FindApiKeyAsync("missing"));
        Assert.Equal(["a", "b"], (await Store.ListApiKeysAsync("erin")).Select(k => k.Id));

        Assert.False(await Store.RevokeApiKeyAsync("c", "erin", T0));
        Assert.True(await Store.RevokeApiKeyAsync("a", "erin", T0.AddDays(1)));
        Assert.False(await Store.RevokeApiKeyAsync("a", "erin", T0.AddDays(2)));
        Assert.Equal(T0.AddDays(1), (await Store.FindApiKeyAsync("a"))!.RevokedAt);
        Assert.Null((await Store.FindApiKeyAsync("c"))!.RevokedAt);
    }

    [Fact]
    public async Task TouchApiKeys_RecordsTheLatestUse_AndNeverGoesBack()
    {
        await Store.AddApiKeyAsync(Key("t1", "gina"));
        await Store.AddApiKeyAsync(Key("t2", "gina"));

        await Store.TouchApiKeysAsync(new Dictionary<string, DateTimeOffset> { ["t1"] = T0.AddMinutes(5), ["t2"] = T0.AddMinutes(6), ["absent"] = T0 });
        await Store.TouchApiKeysAsync(new Dictionary<string, DateTimeOffset> { ["t1"] = T0.AddMinutes(1) });

        Assert.Equal(T0.AddMinutes(5), (await Store.FindApiKeyAsync("t1"))!.LastUsedAt);
        Assert.Equal(T0.AddMinutes(6), (await Store.FindApiKeyAsync("t2"))!.LastUsedAt);
    }

    [Fact]
    public async Task SigningKey_TheFirstStoredWins()
    {
        Assert.Equal("first-key", await Store.GetOrAddSigningKeyAsync("first-key"));
        Assert.Equal("first-key", await Store.GetOrAddSigningKeyAsync("second-key"));
    }

    [Fact]
    public async Task SigningKey_ProcessesStartingTogether_AllGetTheSameKey()
    {
        var keys = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => Store.GetOrAddSigningKeyAsync($"candidate-{i}"))));

        Assert.Single(keys.Distinct());
        Assert.StartsWith("candidate-", keys[0], StringComparison.Ordinal);
    }
}
