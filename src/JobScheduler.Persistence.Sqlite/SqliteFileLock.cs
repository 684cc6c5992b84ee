namespace JobScheduler.Persistence.Sqlite;

/// <summary>
/// The single-process guard of a SQLite database: an exclusive OS lock on a sibling file (<c>&lt;path&gt;.lock</c>),
/// held for as long as the process uses the database. SQLite itself would let a second process open the file, and two
/// silos that each believe they own every job would run each fire twice; the lock makes the second one refuse to start.
/// .NET takes it with <c>flock</c> on Linux, which the kernel releases when the process dies, even by SIGKILL, so a
/// crashed server never leaves a stale lock behind.
/// </summary>
public sealed class SqliteFileLock : IDisposable
{
    private readonly FileStream _file;

    private SqliteFileLock(FileStream file, string databasePath)
    {
        _file = file;
        DatabasePath = databasePath;
    }

    /// <summary>The database file this lock guards (absolute).</summary>
    public string DatabasePath { get; }

    /// <summary>The lock file beside <paramref name="databasePath"/>.</summary>
    public static string LockPathOf(string databasePath) => databasePath + ".lock";

    /// <summary>Takes the lock, creating the database's directory if it is missing.</summary>
    /// <exception cref="InvalidOperationException">Another process holds it.</exception>
    public static SqliteFileLock Acquire(string databasePath)
    {
        databasePath = Path.GetFullPath(databasePath);
        Directory.CreateDirectory(Path.GetDirectoryName(databasePath)!);
        var lockPath = LockPathOf(databasePath);
        try
        {
            return new SqliteFileLock(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None), databasePath);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException(
                $"The SQLite database {databasePath} is in use by another JobScheduler process (it holds {lockPath}); " +
                "only one process may use a SQLite file: stop the other one or give this one another JobScheduler:Sqlite:Path.", ex);
        }
    }

    public void Dispose() => _file.Dispose();
}
