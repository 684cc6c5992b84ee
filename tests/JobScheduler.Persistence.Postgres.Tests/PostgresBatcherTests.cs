using JobScheduler.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Serialization;
using Orleans.Storage;

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>
/// Group commit: many callers' statements share round trips and commits, each caller still gets its own result,
/// and one bad statement fails only its own caller. Also the grain storage and reminder table built on it.
/// </summary>
public sealed class PostgresBatcherTests : IAsyncLifetime
{
    private readonly PostgresDatabase _database = new();
    private NpgsqlDataSource _dataSource = null!;
    private PostgresBatcher _batcher = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _dataSource = _database.CreateDataSource();
        await new PostgresSchema(_dataSource, NullLogger<PostgresSchema>.Instance).EnsureAsync(apply: true, CancellationToken.None);
        await using var create = _dataSource.CreateCommand("CREATE TABLE bench_rows (id integer PRIMARY KEY, note text NOT NULL CHECK (note <> 'bad'))");
        await create.ExecuteNonQueryAsync();
        _batcher = new PostgresBatcher(_dataSource);
    }

    public async Task DisposeAsync()
    {
        await _batcher.DisposeAsync();
        await _dataSource.DisposeAsync();
        await _database.DisposeAsync();
    }

    private Task<int> InsertAsync(int id, string note) =>
        _batcher.ExecuteAsync("INSERT INTO bench_rows (id, note) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            new NpgsqlParameter<int> { TypedValue = id }, new NpgsqlParameter<string> { TypedValue = note });

    private Task<long> CommitsAsync() =>
        _database.ScalarAsync("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()");

    [Fact]
    public async Task ThousandsOfConcurrentWrites_AllLand_InFarFewerCommits()
    {
        var commitsBefore = await CommitsAsync();

        var counts = await Task.WhenAll(Enumerable.Range(0, 3000).Select(i => InsertAsync(i, "ok")));
        // The same rows again: each caller sees that its own statement changed nothing.
        var repeats = await Task.WhenAll(Enumerable.Range(0, 100).Select(i => InsertAsync(i, "ok")));

        Assert.All(counts, c => Assert.Equal(1, c));
        Assert.All(repeats, c => Assert.Equal(0, c));
        Assert.Equal(3000, await _database.ScalarAsync("SELECT count(*) FROM bench_rows"));
        // pg_stat counters are reported with a short delay; the statistics of this session's own commits are flushed
        // when it is idle, so wait for them.
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        var commits = await CommitsAsync() - commitsBefore;
        Assert.True(commits < 1000, $"{commits} commits for 3,100 statements");
    }

    [Fact]
    public async Task AfterTheServerEndedThePooledConnections_WritesStillLand()
    {
        // What a PostgreSQL restart leaves behind: a pool of connections the server has ended.
        await Task.WhenAll(Enumerable.Range(0, 300).Select(i => InsertAsync(i, "ok")));
        var ended = await _database.EndOtherSessionsAsync();
        Assert.True(ended > 0, "the pool held no connection to end");

        var counts = await Task.WhenAll(Enumerable.Range(1000, 60).Select(i => InsertAsync(i, "ok")));

        Assert.All(counts, c => Assert.Equal(1, c));
        Assert.Equal(360, await _database.ScalarAsync("SELECT count(*) FROM bench_rows"));
    }

    [Fact]
    public async Task AFailingStatement_FailsOnlyItsCaller()
    {
        var good = Enumerable.Range(0, 200).Select(i => InsertAsync(i, "ok")).ToList();
        var bad = InsertAsync(10_000, "bad");
        good.AddRange(Enumerable.Range(200, 200).Select(i => InsertAsync(i, "ok")));

        var error = await Assert.ThrowsAsync<PostgresException>(() => bad);
        Assert.Equal(PostgresErrorCodes.CheckViolation, error.SqlState);
        Assert.All(await Task.WhenAll(good), c => Assert.Equal(1, c));
        Assert.Equal(400, await _database.ScalarAsync("SELECT count(*) FROM bench_rows"));
    }

    [Fact]
    public async Task ConcurrentQueries_EachGetTheirOwnRows()
    {
        await Task.WhenAll(Enumerable.Range(0, 50).Select(i => InsertAsync(i, $"note {i}")));

        var notes = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => _batcher.QueryAsync(
            "SELECT note FROM bench_rows WHERE id = $1", [new NpgsqlParameter<int> { TypedValue = i }],
            reader => reader.Read() ? reader.GetString(0) : null)));

        Assert.Equal(Enumerable.Range(0, 60).Select(i => i < 50 ? $"note {i}" : null), notes);
    }

    private static JobGrainState Job(GrainId id, int mark) => new()
    {
        Job = new JobInfo(new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("noop") }) { Id = id.Key.ToString()!, Owner = "o" },
        ExecutionCount = mark,
    };

    [Fact]
    public async Task GrainStorage_ManyGrainsAtOnce_RoundTripAndStayFenced()
    {
        var serializer = new OrleansGrainStorageSerializer(new ServiceCollection().AddSerializer().BuildServiceProvider().GetRequiredService<Serializer>());
        var storage = new PostgresGrainStorage("service", _batcher, serializer);
        var ids = Enumerable.Range(0, 500).Select(i => GrainId.Create("job", $"many-{i}")).ToArray();

        await Task.WhenAll(ids.Select((id, i) => storage.WriteStateAsync("job", id, new GrainState<JobGrainState>(Job(id, i)))));
        var read = await Task.WhenAll(ids.Select(async id =>
        {
            var state = new GrainState<JobGrainState>();
            await storage.ReadStateAsync("job", id, state);
            return state;
        }));

        Assert.Equal(Enumerable.Range(0, 500), read.Select(s => s.State!.ExecutionCount));
        Assert.All(read, s => Assert.Equal("1", s.ETag));
        // A second first-write of an existing grain is refused: it would overwrite state it never read.
        await Assert.ThrowsAsync<InconsistentStateException>(() =>
            storage.WriteStateAsync("job", ids[0], new GrainState<JobGrainState>(Job(ids[0], 99))));
        await storage.ClearStateAsync("job", ids[1], read[1]);
        var cleared = new GrainState<JobGrainState>();
        await storage.ReadStateAsync("job", ids[1], cleared);
        Assert.False(cleared.RecordExists);
    }

    [Fact]
    public async Task ReminderTable_UpsertReadByGrainAndRange_RemoveNeedsTheCurrentVersion()
    {
        var table = new PostgresReminderTable("service", _dataSource, _batcher);
        var grains = Enumerable.Range(0, 200).Select(i => GrainId.Create("job", $"r-{i}")).ToArray();
        var start = new DateTime(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);

        var etags = await Task.WhenAll(grains.Select(g => table.UpsertRow(new ReminderEntry
        {
            GrainId = g, ReminderName = "fire", StartAt = start, Period = TimeSpan.FromMinutes(1),
        })));
        var moved = await table.UpsertRow(new ReminderEntry { GrainId = grains[0], ReminderName = "fire", StartAt = start.AddHours(1), Period = TimeSpan.FromMinutes(2) });

        Assert.All(etags, e => Assert.Equal("0", e));
        Assert.Equal("1", moved);
        var row = await table.ReadRow(grains[0], "fire");
        Assert.Equal((start.AddHours(1), TimeSpan.FromMinutes(2)), (row!.StartAt, row.Period));
        Assert.Single((await table.ReadRows(grains[5])).Reminders);
        // The whole ring, then the two halves of a split: every reminder is in exactly one half.
        Assert.Equal(200, (await table.ReadRows(0u, 0u)).Reminders.Count);
        var lower = await table.ReadRows(0u, 0x8000_0000u);
        var upper = await table.ReadRows(0x8000_0000u, 0u);
        Assert.Equal(200, lower.Reminders.Count + upper.Reminders.Count);
        Assert.All(lower.Reminders, r => Assert.InRange(r.GrainId.GetUniformHashCode(), 1u, 0x8000_0000u));

        Assert.False(await table.RemoveRow(grains[0], "fire", "0"));
        Assert.True(await table.RemoveRow(grains[0], "fire", "1"));
        Assert.Null(await table.ReadRow(grains[0], "fire"));
    }
}
