using System.Diagnostics;
using Npgsql;

// Every test here shares one PostgreSQL server, and one test restarts it: run them one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>
/// A fresh, empty database on the local PostgreSQL for one test class (dropped afterwards). The server is found
/// through <c>JOBSCHEDULER_TEST_POSTGRES</c> (a connection string for a role that may create databases), else the
/// role that tests/setup-postgres.sh creates; when nothing answers and the tests run as root, that script is run.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    private const string DefaultAdmin = "Host=127.0.0.1;Port=5432;Username=jobscheduler;Password=jobscheduler;Database=postgres";

    private static readonly SemaphoreSlim SetupGate = new(1, 1);
    private static bool _setupDone;

    public string Name { get; } = $"js_test_{Guid.NewGuid():n}";

    public string ConnectionString { get; private set; } = "";

    public static string AdminConnectionString =>
        Environment.GetEnvironmentVariable("JOBSCHEDULER_TEST_POSTGRES") is { Length: > 0 } configured ? configured : DefaultAdmin;

    public async Task InitializeAsync()
    {
        await EnsureServerAsync();
        await using (var admin = new NpgsqlConnection(AdminConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {Name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        ConnectionString = new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = Name, Pooling = true }.ConnectionString;
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(AdminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", admin);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await drop.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException ex) when (ex.SqlState == "42501" && attempt < 20)
            {
                // An autovacuum worker (the superuser's) is on the fresh database; FORCE may not end it. It leaves soon.
                await Task.Delay(250);
            }
        }
    }

    public NpgsqlDataSource CreateDataSource() => NpgsqlDataSource.Create(ConnectionString);

    /// <summary>
    /// Ends every other session on this database, as a PostgreSQL restart does (<c>57P01</c> on their next statement),
    /// and waits until they are gone. Returns how many were ended.
    /// </summary>
    public async Task<long> EndOtherSessionsAsync()
    {
        var ended = await ScalarAsync("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");
        for (var i = 0; i < 50 && await ScalarAsync("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()") > 0; i++)
        {
            await Task.Delay(100);
        }
        return ended;
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var dataSource = CreateDataSource();
        await using var command = dataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task EnsureServerAsync()
    {
        await SetupGate.WaitAsync();
        try
        {
            if (_setupDone || await CanConnectAsync())
            {
                _setupDone = true;
                return;
            }
            var script = Path.Combine(RepositoryRoot(), "tests", "setup-postgres.sh");
            if (Environment.UserName != "root" || !File.Exists(script))
            {
                throw new InvalidOperationException(
                    $"No PostgreSQL answers at {new NpgsqlConnectionStringBuilder(AdminConnectionString).Host}. Run tests/setup-postgres.sh as root, " +
                    "or set JOBSCHEDULER_TEST_POSTGRES to a connection string for a role that may create databases.");
            }
            using var setup = Process.Start(new ProcessStartInfo("bash", [script]) { UseShellExecute = false })!;
            await setup.WaitForExitAsync();
            if (setup.ExitCode != 0 || !await CanConnectAsync())
            {
                throw new InvalidOperationException($"tests/setup-postgres.sh exited with {setup.ExitCode} and PostgreSQL still does not answer.");
            }
            _setupDone = true;
        }
        finally
        {
            SetupGate.Release();
        }
    }

    private static async Task<bool> CanConnectAsync()
    {
        try
        {
            await using var connection = new NpgsqlConnection(AdminConnectionString);
            await connection.OpenAsync();
            return true;
        }
        catch (Exception ex) when (ex is NpgsqlException or System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    public static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "JobScheduler.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("JobScheduler.sln not found above " + AppContext.BaseDirectory);
    }
}
