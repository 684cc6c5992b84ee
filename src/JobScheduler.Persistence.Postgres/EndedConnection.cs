using Npgsql;

namespace JobScheduler.Persistence.Postgres;

/// <summary>
/// A pooled connection the server ended while it sat idle in the pool (a PostgreSQL restart, a crash,
/// <c>pg_terminate_backend</c>) fails the first statement sent on it: either the send itself fails (the socket is
/// closed: Npgsql's "Exception while writing to stream") or the server's goodbye is read back (<c>57P01</c> after a
/// restart, <c>57P02</c> after a crash). Either way the session ended before the statement could commit — a pipelined
/// batch commits only at its final Sync — so sending it again on a fresh connection is safe: no write lands twice.
/// A connection lost while reading a reply is not retried: that statement may have committed.
/// After a restart every idle connection of the pool is such a connection, so the pool is emptied before the one
/// retry, and the next callers open fresh ones too.
/// </summary>
internal static class EndedConnection
{
    public static bool Is(Exception exception) =>
        exception is PostgresException { SqlState: "57P01" or "57P02" }
        || (exception is NpgsqlException { InnerException: IOException } && exception.Message.StartsWith("Exception while writing", StringComparison.Ordinal));

    /// <summary>
    /// Runs <paramref name="send"/> (told whether it is the retry, so it can build fresh parameters), and once more on
    /// a fresh connection when the first connection turns out to have been ended by the server.
    /// </summary>
    public static async Task<T> RetryOnceAsync<T>(NpgsqlDataSource dataSource, Func<bool, Task<T>> send)
    {
        try
        {
            return await send(false).ConfigureAwait(false);
        }
        catch (Exception ex) when (Is(ex))
        {
            dataSource.Clear();
            return await send(true).ConfigureAwait(false);
        }
    }
}
