using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using JobScheduler.Core.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>
/// The statement counters the benchmark divides by executions: every statement a unit of work or a read runs counts,
/// transaction control does not, and a write transaction is one batch-size measurement. Other tests write to SQLite
/// at the same time, so measurements are told apart by thread (a read runs on its caller's thread) or by a batch
/// size no other test makes.
/// </summary>
public sealed class SqliteMetricsTests : IAsyncLifetime
{
    private readonly TestDatabase _db = new();
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Instrument, long Value, string? Kind, string? Store, int Thread)> _measurements = new();

    public Task InitializeAsync()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == StorageMetrics.MeterName
                && instrument.Name is StorageMetrics.StatementsName or StorageMetrics.BatchSizeName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _listener.Dispose();
        await _db.DisposeAsync();
    }

    [Fact]
    public async Task AWriteTransaction_CountsItsStatements_NotItsTransactionControl()
    {
        var writer = _db.Database.Writer;
        var gate = new TaskCompletionSource();
        // Holds the writer (no statement) so the next units queue up and share one transaction.
        var blocker = writer.WriteAsync(_ => gate.Task.Wait(TimeSpan.FromSeconds(10)));
        var writes = Enumerable.Range(0, 10).Select(i => writer.ExecuteAsync(
            "INSERT INTO grain_state (service_id, grain_id, state_name, payload, version) VALUES ('metrics', $1, 'x', x'00', 1)", $"g{i}")).ToList();
        gate.SetResult();
        await blocker;
        await Task.WhenAll(writes);

        // 10 statements in one transaction (its BEGIN, SAVEPOINTs, RELEASEs and COMMIT not counted).
        Assert.Contains(_measurements, m => m is { Instrument: StorageMetrics.BatchSizeName, Value: 10, Store: "sqlite" });
        Assert.Contains(_measurements, m => m is { Instrument: StorageMetrics.StatementsName, Value: 10, Kind: "write", Store: "sqlite" });
    }

    [Fact]
    public async Task ARead_CountsEachStatementItRuns()
    {
        var thread = Environment.CurrentManagedThreadId;
        // The counts by state: one statement per table, run on this thread.
        await new SqliteJobCatalog(_db.Database).GetStatsAsync();

        var reads = _measurements.Where(m => m is { Instrument: StorageMetrics.StatementsName, Kind: "read", Store: "sqlite" } && m.Thread == thread);
        Assert.Equal(2, reads.Sum(m => m.Value));
    }

    [Fact]
    public async Task ADisposedDatabase_ReleasesTheFileLock_SoAServerCanStartAgainOnTheFile()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"jobscheduler-sqlite-{Guid.NewGuid():n}");
        var path = Path.Combine(directory, "db.sqlite");
        try
        {
            await new SqliteDatabase(SqliteFileLock.Acquire(path), NullLogger<SqliteDatabase>.Instance).DisposeAsync();
            await using var reopened = new SqliteDatabase(SqliteFileLock.Acquire(path), NullLogger<SqliteDatabase>.Instance);
            Assert.Equal(Path.GetFullPath(path), reopened.Path);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        string? kind = null, store = null;
        foreach (var tag in tags)
        {
            if (tag.Key == "kind")
            {
                kind = tag.Value as string;
            }
            else if (tag.Key == "store")
            {
                store = tag.Value as string;
            }
        }
        _measurements.Enqueue((instrument.Name, value, kind, store, Environment.CurrentManagedThreadId));
    }
}
