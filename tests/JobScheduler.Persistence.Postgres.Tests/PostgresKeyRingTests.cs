using JobScheduler.Core.Storage;
using JobScheduler.Grains.Actions;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>
/// The key ring of action secrets in PostgreSQL, read by two silos' Data Protection at once (each its own process-like
/// container): what one seals, the other opens, also when both created a key of their own on an empty ring (dotnet/aspnetcore#52678).
/// </summary>
public sealed class PostgresKeyRingTests : IAsyncLifetime
{
    private readonly PostgresDatabase _database = new();
    private NpgsqlDataSource _dataSource = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _dataSource = NpgsqlDataSource.Create(_database.ConnectionString);
        await new PostgresSchema(_dataSource, NullLogger<PostgresSchema>.Instance).EnsureAsync(apply: true, CancellationToken.None);
    }

    public async Task DisposeAsync()
    {
        await _dataSource.DisposeAsync();
        await _database.DisposeAsync();
    }

    private ServiceProvider Silo(Barrier? firstRead = null) => new ServiceCollection()
        .AddLogging()
        .AddSingleton<IKeyRingStore>(firstRead is null ? new PostgresKeyRingStore(_dataSource) : new MeetAtFirstRead(new PostgresKeyRingStore(_dataSource), firstRead))
        .AddActionSecrets()
        .BuildServiceProvider();

    /// <summary>A key ring whose first read waits for the other silo's first read.</summary>
    private sealed class MeetAtFirstRead(IKeyRingStore inner, Barrier barrier) : IKeyRingStore
    {
        private int _reads;

        public IReadOnlyList<string> ReadAll()
        {
            var elements = inner.ReadAll();
            if (Interlocked.Increment(ref _reads) == 1)
            {
                Assert.True(barrier.SignalAndWait(TimeSpan.FromSeconds(30)), "the other silo never read the key ring");
            }
            return elements;
        }

        public void Add(string name, string xml) => inner.Add(name, xml);
    }

    private static ActionSpec Sealed(ServiceProvider silo, string value)
    {
        var errors = new List<FieldError>();
        var action = silo.GetRequiredService<SecretProtector>().Seal(
            new ActionSpec { Kind = ActionKind.Command, Command = "x", Secrets = new() { ["TOKEN"] = value } }, null, "action", errors);
        Assert.Empty(errors);
        return action;
    }

    private static string Opened(ServiceProvider silo, ActionSpec action) =>
        silo.GetRequiredService<SecretProtector>().Reveal(action, out _).Env!["TOKEN"];

    [Fact]
    public async Task SecondSilo_OpensWhatTheFirstSealed_FromTheSharedKeyRing()
    {
        await using var first = Silo();
        await using var second = Silo();

        var action = Sealed(first, "shared-secret");

        Assert.StartsWith("enc:v1:", action.Secrets!["TOKEN"], StringComparison.Ordinal);
        Assert.Equal("shared-secret", Opened(second, action));
        Assert.Equal(1L, await Count("SELECT count(*) FROM js_data_protection_keys"));
    }

    [Fact]
    public async Task SilosStartingTogether_EachCreatingAKey_OpenEachOthersSecrets()
    {
        // Both silos read the empty ring before either stores a key, as two silos started at once may: each creates one.
        using var bothRead = new Barrier(2);
        await using var first = Silo(bothRead);
        await using var second = Silo(bothRead);

        var sealedBoth = await Task.WhenAll(
            Task.Run(() => Sealed(first, "from-first")),
            Task.Run(() => Sealed(second, "from-second")));

        Assert.Equal(2L, await Count("SELECT count(*) FROM js_data_protection_keys"));
        Assert.Equal("from-first", Opened(second, sealedBoth[0]));
        Assert.Equal("from-second", Opened(first, sealedBoth[1]));
    }

    private async Task<long> Count(string sql)
    {
        await using var command = _dataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
