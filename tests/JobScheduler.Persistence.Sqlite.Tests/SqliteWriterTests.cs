using Microsoft.Data.Sqlite;

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>Group commit: many callers, one transaction; a failing write fails only its own caller.</summary>
public sealed class SqliteWriterTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _db.DisposeAsync();

    [Fact]
    public async Task AFailingWrite_FailsOnlyItsCaller_TheRestOfTheBatchCommits()
    {
        var writer = _db.Database.Writer;
        var gate = new TaskCompletionSource();
        // Holds the writer so the next writes queue up and go together in one batch.
        var blocker = writer.WriteAsync(_ => gate.Task.Wait(TimeSpan.FromSeconds(10)));
        var writes = Enumerable.Range(0, 20).Select(i => writer.ExecuteAsync(
            "INSERT INTO grain_state (service_id, grain_id, state_name, payload, version) VALUES ('s', $1, 'x', x'00', 1)",
            i == 7 ? null : $"g{i}")).ToList();
        // Half-done work in a failing unit is undone too.
        var partial = writer.WriteAsync<int>(c =>
        {
            using var insert = c.CreateCommand();
            insert.CommandText = "INSERT INTO grain_state (service_id, grain_id, state_name, payload, version) VALUES ('s', 'partial', 'x', x'00', 1)";
            insert.ExecuteNonQuery();
            throw new InvalidOperationException("boom");
        });
        gate.SetResult();
        await blocker;

        await Assert.ThrowsAsync<SqliteException>(() => writes[7]); // NOT NULL constraint
        await Assert.ThrowsAsync<InvalidOperationException>(() => partial);
        foreach (var write in writes.Where((_, i) => i != 7))
        {
            Assert.Equal(1, await write);
        }
        var count = await _db.Database.ReadAsync(c =>
        {
            using var command = c.CreateCommand();
            command.CommandText = "SELECT count(*) FROM grain_state";
            return (long)command.ExecuteScalar()!;
        });
        Assert.Equal(19L, count);
    }

    [Fact]
    public async Task SecondOpen_OfTheSameFile_IsRefusedWithAMessageNamingIt()
    {
        var error = Assert.Throws<InvalidOperationException>(() => SqliteFileLock.Acquire(_db.DatabasePath));
        Assert.Contains(_db.DatabasePath, error.Message, StringComparison.Ordinal);
        await Task.CompletedTask;
    }

    [Fact]
    public async Task Pragmas_AreWalAndFullSync_AndTheSchemaIsCurrent()
    {
        var (journal, version) = await _db.Database.ReadAsync(c =>
        {
            using var command = c.CreateCommand();
            command.CommandText = "PRAGMA journal_mode";
            var mode = (string)command.ExecuteScalar()!;
            return (mode, SqliteSchema.Version(c));
        });
        Assert.Equal("wal", journal);
        Assert.Equal(SqliteSchema.LatestVersion, version);
    }
}
