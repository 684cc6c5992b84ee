using System.Diagnostics;
using Npgsql;

namespace JobScheduler.Chaos;

/// <summary>
/// A PostgreSQL 15 cluster of the run's own (initdb in the work directory, its own port on 127.0.0.1, run as the
/// <c>postgres</c> user), so that restarting it as a fault disturbs nobody else on the machine.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";

    private readonly string _dataDirectory;
    private readonly string _logPath;

    public PrivatePostgres(string workDirectory)
    {
        _dataDirectory = Path.Combine(workDirectory, "pgdata");
        _logPath = Path.Combine(workDirectory, "postgres.log");
        Port = Testing.LoopbackPorts.Free();
    }

    public int Port { get; }

    public string ConnectionString => $"Host=127.0.0.1;Port={Port};Username=postgres;Database=jobscheduler;Pooling=true;Timeout=5";

    public static bool Available => File.Exists(Path.Combine(Bin, "initdb")) && Environment.UserName == "root";

    public async Task StartAsync()
    {
        var parent = Path.GetDirectoryName(_dataDirectory)!;
        Directory.CreateDirectory(parent);
        await RunAsync("chown", "postgres", parent);
        await AsPostgresAsync(Path.Combine(Bin, "initdb"), "-D", _dataDirectory, "-A", "trust", "-U", "postgres", "--no-sync");
        await PgCtlAsync("start", "-w", "-t", "60");
        await using var connection = new NpgsqlConnection($"Host=127.0.0.1;Port={Port};Username=postgres;Database=postgres");
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand("CREATE DATABASE jobscheduler", connection);
        await create.ExecuteNonQueryAsync();
    }

    /// <summary>What <c>service postgresql restart</c> does: a fast shutdown (open connections are cut) and a start.</summary>
    public Task RestartAsync() => PgCtlAsync("restart", "-m", "fast", "-w", "-t", "60");

    public async ValueTask DisposeAsync()
    {
        try
        {
            await PgCtlAsync("stop", "-m", "immediate", "-w", "-t", "30");
        }
        catch (InvalidOperationException)
        {
            // Not running.
        }
        NpgsqlConnection.ClearAllPools();
    }

    private Task PgCtlAsync(string command, params string[] more) =>
        AsPostgresAsync(Path.Combine(Bin, "pg_ctl"), [command, "-D", _dataDirectory, "-l", _logPath,
            "-o", $"-p {Port} -k {Path.GetDirectoryName(_dataDirectory)} -c listen_addresses=127.0.0.1 -c max_connections=400 -c fsync=off", .. more]);

    private static Task AsPostgresAsync(string program, params string[] args) => RunAsync("runuser", ["-u", "postgres", "--", program, .. args]);

    private static async Task RunAsync(string program, params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo(program, args) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true })!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited with {process.ExitCode}: {await output}{await error}");
        }
    }
}
