using JobScheduler.Core.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>
/// One SQLite file as this process uses it: the single-process lock (<see cref="SqliteFileLock"/>), the schema
/// brought up to date, one writer connection behind the group-commit <see cref="SqliteWriter"/>, and short-lived
/// (pooled) reader connections, which WAL lets read while the writer writes.
/// <para>
/// Pragmas: <c>journal_mode=WAL</c> (readers never block the writer nor the writer them; a commit appends to the log);
/// <c>synchronous=FULL</c>, because in WAL mode NORMAL does not fsync the log at each commit, so a power loss could
/// take back writes a client was already told had succeeded (a process crash could not); FULL makes every commit
/// durable, and group commit spreads its fsync over all the writes of a batch. <c>foreign_keys</c> is on, so deleting
/// an execution deletes its stored output.
/// </para>
/// </summary>
public sealed partial class SqliteDatabase : IAsyncDisposable
{
    private readonly SqliteFileLock _lock;
    private readonly string _connectionString;
    private readonly ILogger<SqliteDatabase> _logger;

    /// <param name="fileLock">The lock of the file, already taken (see <see cref="SqliteFileLock.Acquire"/>); owned from now on.</param>
    /// <param name="logger">Where schema changes and failed writes are reported.</param>
    public SqliteDatabase(SqliteFileLock fileLock, ILogger<SqliteDatabase> logger)
    {
        _lock = fileLock;
        _logger = logger;
        Path = fileLock.DatabasePath;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        var writer = new SqliteConnection(_connectionString);
        try
        {
            writer.Open();
            using (var mode = SqliteSql.Command(writer, "PRAGMA journal_mode=WAL"))
            {
                var journal = mode.ExecuteScalar() as string;
                if (!string.Equals(journal, "wal", StringComparison.OrdinalIgnoreCase))
                {
                    throw new InvalidOperationException($"The SQLite database {Path} could not be switched to WAL mode (it is in '{journal}' mode).");
                }
            }
            SqliteSql.Execute(writer, "PRAGMA synchronous=FULL");
            var before = SqliteSchema.Apply(writer, Path);
            LogOpened(Path, before, SqliteSchema.LatestVersion);
        }
        catch
        {
            writer.Dispose();
            throw;
        }
        Writer = new SqliteWriter(writer, logger);
    }

    /// <summary>The database file (absolute).</summary>
    public string Path { get; }

    /// <summary>Where every write goes.</summary>
    public SqliteWriter Writer { get; }

    /// <summary>Runs <paramref name="read"/> on a reader connection (its own snapshot of what is committed).</summary>
    public Task<T> ReadAsync<T>(Func<SqliteConnection, T> read)
    {
        try
        {
            // Reads are short and SQLite's API is synchronous: they run on the caller's thread.
            var statementsBefore = SqliteSql.StatementsOnThisThread;
            using var connection = new SqliteConnection(_connectionString);
            connection.Open();
            try
            {
                return Task.FromResult(read(connection));
            }
            finally
            {
                StorageMetrics.RecordStatements(StorageMetrics.Sqlite, write: false, (int)(SqliteSql.StatementsOnThisThread - statementsBefore));
            }
        }
        catch (Exception ex)
        {
            return Task.FromException<T>(ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Writer.DisposeAsync();
        // Pooled reader connections hold the file open; close them before the lock goes, so the next owner starts clean.
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }
        _lock.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "SQLite database {Path} open (schema version {Before} → {Latest}, WAL, synchronous=FULL)")]
    private partial void LogOpened(string path, int before, int latest);
}
