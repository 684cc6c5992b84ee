using System.Threading.Channels;
using JobScheduler.Core.Storage;
using Npgsql;

namespace JobScheduler.Persistence.Postgres;

/// <summary>
/// Group commit for the statements of many grains. A single-row statement in its own transaction costs a round trip
/// and a commit (a WAL flush), which caps a 2-core machine at a few thousand writes per second; here each caller still
/// awaits its own statement and gets its own row count or rows, but whatever is queued when a connection comes free
/// goes to PostgreSQL as one batch: one round trip, one implicit transaction, one commit.
/// <para>
/// Under light load a statement goes out alone at once (nothing waits for a batch to fill). Statements that return rows
/// travel in batches of their own. A batch is all-or-nothing; if one statement fails with a PostgreSQL error, the batch is re-run
/// one statement at a time so that only that statement's caller sees the error. A connection error fails the whole
/// batch; its callers retry as they would a single statement.
/// </para>
/// </summary>
public sealed class PostgresBatcher : IAsyncDisposable
{
    /// <summary>Statements per batch at most.</summary>
    public const int MaxBatch = 512;

    /// <summary>
    /// Statements waiting at most, per queue: beyond it callers wait for room (back-pressure) instead of the queue
    /// growing without bound while the database is slow or away.
    /// </summary>
    public const int MaxQueued = 20_000;

    private readonly NpgsqlDataSource _dataSource;
    private readonly Channel<Pending> _writes = Channel.CreateBounded<Pending>(new BoundedChannelOptions(MaxQueued) { FullMode = BoundedChannelFullMode.Wait });
    private readonly Channel<Pending> _reads = Channel.CreateBounded<Pending>(new BoundedChannelOptions(MaxQueued) { FullMode = BoundedChannelFullMode.Wait });
    private readonly Task[] _loops;

    /// <param name="dataSource">Where the statements go.</param>
    /// <param name="writers">Write batches in flight at once (each holds a connection while it runs).</param>
    /// <param name="readers">Read batches in flight at once.</param>
    public PostgresBatcher(NpgsqlDataSource dataSource, int writers = 3, int readers = 2)
    {
        _dataSource = dataSource;
        _loops =
        [
            .. Enumerable.Range(0, writers).Select(_ => Task.Run(() => RunAsync(_writes.Reader, write: true))),
            .. Enumerable.Range(0, readers).Select(_ => Task.Run(() => RunAsync(_reads.Reader, write: false))),
        ];
    }

    /// <summary>Runs a statement that returns no rows; the result is the number of rows it affected.</summary>
    public async Task<int> ExecuteAsync(string sql, params NpgsqlParameter[] parameters) =>
        (int)(await Enqueue(_writes, new Pending(sql, parameters, null)))!;

    /// <summary>
    /// Runs a statement that returns exactly one result set (a SELECT, or a write with RETURNING) and reads it with
    /// <paramref name="read"/>.
    /// </summary>
    public async Task<T> QueryAsync<T>(string sql, NpgsqlParameter[] parameters, Func<NpgsqlDataReader, T> read)
    {
        var pending = new Pending(sql, parameters, reader => read(reader));
        return (T)(await Enqueue(_reads, pending))!;
    }

    private static async Task<object?> Enqueue(Channel<Pending> channel, Pending pending)
    {
        if (!channel.Writer.TryWrite(pending))
        {
            try
            {
                await channel.Writer.WriteAsync(pending).ConfigureAwait(false);
            }
            catch (ChannelClosedException)
            {
                throw new ObjectDisposedException(nameof(PostgresBatcher));
            }
        }
        return await pending.Completion.Task.ConfigureAwait(false);
    }

    private async Task RunAsync(ChannelReader<Pending> queue, bool write)
    {
        var batch = new List<Pending>(MaxBatch);
        while (await queue.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < MaxBatch && queue.TryRead(out var pending))
            {
                batch.Add(pending);
            }
            if (batch.Count == 0)
            {
                continue;
            }
            try
            {
                await RunBatchAsync(batch, write).ConfigureAwait(false);
            }
            catch (PostgresException) when (batch.Count > 1)
            {
                // One statement failed and took the batch's transaction with it: find out which, one at a time.
                foreach (var pending in batch)
                {
                    try
                    {
                        await RunBatchAsync([pending], write, retry: true).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        pending.Completion.TrySetException(ex);
                    }
                }
            }
            catch (Exception ex)
            {
                foreach (var pending in batch)
                {
                    pending.Completion.TrySetException(ex);
                }
            }
            batch.Clear();
        }
    }

    /// <summary>Sends the batch, and sends it again on a fresh connection if the server had ended the pooled one.</summary>
    private Task RunBatchAsync(List<Pending> batch, bool write, bool retry = false) =>
        EndedConnection.RetryOnceAsync(_dataSource, async again =>
        {
            await SendBatchAsync(batch, write, retry || again).ConfigureAwait(false);
            return true;
        });

    private async Task SendBatchAsync(List<Pending> batch, bool write, bool retry)
    {
        await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
        await using var command = new NpgsqlBatch(connection);
        var reads = 0;
        foreach (var pending in batch)
        {
            if (pending.IsRead)
            {
                reads++;
            }
            var statement = new NpgsqlBatchCommand(pending.Sql);
            // A parameter belongs to one statement: a re-run gets copies.
            statement.Parameters.AddRange(retry ? [.. pending.Parameters.Select(p => p.Clone())] : pending.Parameters);
            command.BatchCommands.Add(statement);
        }
        // Counted as sent (a re-run after a failed batch sends its statements again, and they count again).
        StorageMetrics.RecordStatements(StorageMetrics.Postgres, write: false, reads);
        StorageMetrics.RecordStatements(StorageMetrics.Postgres, write: true, batch.Count - reads);
        StorageMetrics.RecordBatch(StorageMetrics.Postgres, write, batch.Count);
        if (write)
        {
            var writing = System.Diagnostics.Stopwatch.GetTimestamp();
            await command.ExecuteNonQueryAsync().ConfigureAwait(false);
            StorageMetrics.RecordWrite(StorageMetrics.Postgres, writing);
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(command.BatchCommands[i].RecordsAffected);
            }
            return;
        }
        var results = new object?[batch.Count];
        await using (var reader = await command.ExecuteReaderAsync().ConfigureAwait(false))
        {
            // Every statement returns rows, so each has exactly one result set, in order.
            for (var i = 0; i < batch.Count; i++)
            {
                if (i > 0 && !await reader.NextResultAsync().ConfigureAwait(false))
                {
                    throw new InvalidOperationException("A batched query returned no result set; only statements that return rows may be batched as queries.");
                }
                try
                {
                    results[i] = batch[i].Read!(reader);
                }
                catch (Exception ex) when (ex is not NpgsqlException)
                {
                    // This caller's rows could not be read (a bad payload, say): only this caller fails.
                    results[i] = new ReadFailure(ex);
                }
            }
        }
        for (var i = 0; i < batch.Count; i++)
        {
            if (results[i] is ReadFailure failure)
            {
                batch[i].Completion.TrySetException(failure.Exception);
            }
            else
            {
                batch[i].Completion.TrySetResult(results[i]);
            }
        }
    }

    private sealed record ReadFailure(Exception Exception);

    public async ValueTask DisposeAsync()
    {
        _writes.Writer.TryComplete();
        _reads.Writer.TryComplete();
        await Task.WhenAll(_loops).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private sealed record Pending(string Sql, NpgsqlParameter[] Parameters, Func<NpgsqlDataReader, object?>? Read)
    {
        public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>
        /// A plain SELECT, for the statement counter: the read queue also carries writes that return rows (an upsert
        /// with RETURNING, a delete in a WITH), which count as writes.
        /// </summary>
        public bool IsRead { get; } = Sql.AsSpan().TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase);
    }
}
