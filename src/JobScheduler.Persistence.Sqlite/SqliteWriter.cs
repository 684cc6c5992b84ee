using System.Threading.Channels;
using JobScheduler.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>
/// Group commit on SQLite's one writer. A commit with <c>synchronous=FULL</c> costs an fsync, which caps one-write-per-
/// transaction at a few hundred writes per second on ordinary disks; here the writes of many callers (grains, the
/// reminder service, retention) are queued and whatever is queued when the writer comes free runs in ONE transaction:
/// one commit, one fsync. Each caller still awaits its own result, and only after the commit.
/// <para>
/// Each unit of work runs inside its own <c>SAVEPOINT</c>: one that throws is rolled back to its savepoint and fails
/// only its caller; the others commit. An error that ends the transaction itself (disk full, I/O error) fails the
/// whole batch; its callers retry as they would a single write. The queue is bounded (<see cref="QueueCapacity"/>):
/// when the disk cannot keep up, callers wait to enqueue instead of growing memory without limit.
/// </para>
/// </summary>
public sealed partial class SqliteWriter : IAsyncDisposable
{
    /// <summary>Units of work per transaction at most.</summary>
    public const int MaxBatch = 512;

    /// <summary>Units of work queued at most; writers wait beyond this.</summary>
    public const int QueueCapacity = 10_000;

    private readonly SqliteConnection _connection;
    private readonly ILogger _logger;
    private readonly Channel<Pending> _queue = Channel.CreateBounded<Pending>(
        new BoundedChannelOptions(QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly Task _loop;

    /// <param name="connection">The open writer connection; the writer owns it from now on.</param>
    /// <param name="logger">Where failed batches are reported.</param>
    public SqliteWriter(SqliteConnection connection, ILogger logger)
    {
        _connection = connection;
        _logger = logger;
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Runs <paramref name="work"/> on the writer connection, inside the next batch's transaction; completes after the commit.</summary>
    public async Task<T> WriteAsync<T>(Func<SqliteConnection, T> work)
    {
        var pending = new Pending(connection => work(connection));
        try
        {
            await _queue.Writer.WriteAsync(pending).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(SqliteWriter));
        }
        return (T)(await pending.Completion.Task.ConfigureAwait(false))!;
    }

    /// <summary>Runs one statement with parameters <c>$1..$n</c>; the result is the number of rows it changed.</summary>
    public Task<int> ExecuteAsync(string sql, params object?[] values) =>
        WriteAsync(connection => SqliteSql.Execute(connection, sql, values));

    private async Task RunAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending))
            {
                batch.Add(pending);
            }
            RunBatch(batch);
            batch.Clear();
        }
    }

    private void RunBatch(List<Pending> batch)
    {
        var results = new object?[batch.Count];
        var failures = new Exception?[batch.Count];
        var statementsBefore = SqliteSql.StatementsOnThisThread;
        var writing = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            SqliteSql.Control(_connection, "BEGIN IMMEDIATE");
            for (var i = 0; i < batch.Count; i++)
            {
                SqliteSql.Control(_connection, "SAVEPOINT unit");
                try
                {
                    results[i] = batch[i].Work(_connection);
                    SqliteSql.Control(_connection, "RELEASE unit");
                }
                catch (Exception ex) when (ex is not SqliteException { SqliteErrorCode: 10 or 13 })
                {
                    // This unit only (not an I/O error or a full disk, which end the transaction): undo it, keep the rest.
                    SqliteSql.Control(_connection, "ROLLBACK TO unit");
                    SqliteSql.Control(_connection, "RELEASE unit");
                    failures[i] = ex;
                }
            }
            SqliteSql.Control(_connection, "COMMIT");
            var statements = (int)(SqliteSql.StatementsOnThisThread - statementsBefore);
            StorageMetrics.RecordStatements(StorageMetrics.Sqlite, write: true, statements);
            StorageMetrics.RecordBatch(StorageMetrics.Sqlite, writeQueue: true, statements);
            StorageMetrics.RecordWrite(StorageMetrics.Sqlite, writing);
        }
        catch (Exception ex)
        {
            // Sent, though not committed.
            StorageMetrics.RecordStatements(StorageMetrics.Sqlite, write: true, (int)(SqliteSql.StatementsOnThisThread - statementsBefore));
            LogBatchFailed(batch.Count, ex);
            if (SQLitePCL.raw.sqlite3_get_autocommit(_connection.Handle) == 0)
            {
                TryRollback();
            }
            foreach (var pending in batch)
            {
                pending.Completion.TrySetException(ex);
            }
            return;
        }
        for (var i = 0; i < batch.Count; i++)
        {
            if (failures[i] is { } failure)
            {
                batch[i].Completion.TrySetException(failure);
            }
            else
            {
                batch[i].Completion.TrySetResult(results[i]);
            }
        }
    }

    private void TryRollback()
    {
        try
        {
            SqliteSql.Control(_connection, "ROLLBACK");
        }
        catch (SqliteException ex)
        {
            LogRollbackFailed(ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A SQLite write transaction of {Count} writes failed; each of its callers sees the error")]
    private partial void LogBatchFailed(int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rolling back a failed SQLite write transaction failed")]
    private partial void LogRollbackFailed(Exception exception);

    private sealed record Pending(Func<SqliteConnection, object?> Work)
    {
        public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
