using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using JobScheduler.Testing;

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>
/// The server as a real process on its default SQLite storage, treated as an operator would: killed with SIGKILL in
/// the middle of cron, interval, once and long-running jobs, or of a DAG run, then started again on the same file; its
/// running command must die with it; and a second process started on a file that one already uses.
/// </summary>
public sealed class DurabilityTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"jobscheduler-durability-{Guid.NewGuid():n}");

    private string DatabasePath => Path.Combine(_directory, "db.sqlite");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private static async Task<JsonElement[]> ExecutionsAsync(ServerProcess server, string jobId) =>
        [.. (await server.GetJsonAsync($"/api/jobs/{jobId}/executions?limit=500")).GetProperty("items").EnumerateArray()];

    [Fact]
    public async Task KilledServer_StartsAgainWithEveryJobAndItsHistory_AndReRunsTheLostAttempt()
    {
        // A short misfire threshold, so that fires missed during the few seconds of downtime count as misfires.
        await using var server = ServerProcess.OnSqlite(DatabasePath, "--JobScheduler:MisfireThreshold=00:00:02");
        await KillAndRestart.RunAsync(server, Patience);
    }

    [Fact]
    public async Task KilledServerMidDagRun_FinishesTheRun_WithoutReRunningFinishedSteps_AndReRunsTheRunningOneAsLost()
    {
        await using var server = ServerProcess.OnSqlite(DatabasePath);
        await DagKillAndRestart.RunAsync(server, Patience);
    }

    [Fact]
    public async Task KilledServerWhileADagStepWaitsForAJob_StartsTheStepOnceThatJobSucceeds_WithoutReRunningFinishedSteps()
    {
        await using var server = ServerProcess.OnSqlite(DatabasePath);
        await DagKillAndRestart.RunWithAWaitingStepAsync(server, Patience);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task KilledServer_TakesItsRunningCommandWithIt_SoTheLostAttemptIsNotRunTwice()
    {
        // Regression: a SIGKILLed server's command lived on as an orphan while its attempt, recorded lost, ran again.
        // The command records its own pid (exec keeps it), in a directory nobody can write: a root server runs it as nobody.
        var markers = DagKillAndRestart.CreateMarkerDirectory();
        var pidFile = Path.Combine(markers, "pid");
        int? pid = null;
        try
        {
            await using var server = ServerProcess.OnSqlite(DatabasePath);
            await server.StartAsync();
            await server.SendJsonAsync(HttpMethod.Put, "/api/jobs/long-command", new
            {
                schedule = new { kind = "manual" },
                action = new { kind = "command", command = "sh", args = new[] { "-c", $"echo $$ > '{pidFile}'; exec sleep 300" } },
            });
            await server.SendJsonAsync(HttpMethod.Post, "/api/jobs/long-command/trigger");
            pid = (await server.EventuallyAsync(() => Task.FromResult(ReadPid(pidFile)), Patience, "the command to record its pid")).Value;
            Assert.True(IsRunning(pid.Value), $"the command (pid {pid}) is not running before the kill");

            await server.KillAsync();

            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);
            while (IsRunning(pid.Value) && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
            Assert.False(IsRunning(pid.Value), $"the command (pid {pid}) outlived its SIGKILLed server by 5 s");
        }
        finally
        {
            if (pid is { } survivor && IsRunning(survivor))
            {
                using var process = Process.GetProcessById(survivor);
                process.Kill();
            }
            Directory.Delete(markers, recursive: true);
        }
    }

    /// <summary>The pid in <paramref name="file"/>, once the command has written it whole.</summary>
    private static StrongBox<int>? ReadPid(string file) =>
        File.Exists(file) && int.TryParse(File.ReadAllText(file).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? new(pid) : null;

    /// <summary>Whether <paramref name="pid"/> is a live process: a zombie (state Z) is dead, merely not yet reaped.</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            // Gone (not found), or exited while being read.
            return false;
        }
    }

    [Fact]
    public async Task SecondServerOnTheSameFile_ExitsWithCode1_AndOneLineNamingTheFile()
    {
        await using var first = ServerProcess.OnSqlite(DatabasePath);
        await first.StartAsync();
        var health = await first.GetJsonAsync("/health/ready");
        Assert.True(health.GetProperty("durable").GetBoolean());
        Assert.Equal(DatabasePath, health.GetProperty("data").GetString());

        var server = ServerProcess.ServerDllPath;
        using var second = Process.Start(new ProcessStartInfo("dotnet",
        [
            server,
            $"--urls=http://127.0.0.1:{LoopbackPorts.Free()}",
            "--environment=Production",
            $"--JobScheduler:Sqlite:Path={DatabasePath}",
            $"--Orleans:SiloPort={LoopbackPorts.Free()}",
            $"--Orleans:GatewayPort={LoopbackPorts.Free()}",
        ])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(server)!,
        })!;
        var stderr = second.StandardError.ReadToEndAsync();
        var stdout = second.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Patience);
        await second.WaitForExitAsync(timeout.Token);

        Assert.Equal(1, second.ExitCode);
        var lines = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines);
        Assert.StartsWith("JobScheduler could not start: ", line, StringComparison.Ordinal);
        Assert.Contains(DatabasePath, line, StringComparison.Ordinal);
        Assert.Equal("", (await stdout).Trim());

        // The first one carries on.
        Assert.Equal("Healthy", (await first.GetJsonAsync("/health/ready")).GetProperty("status").GetString());
    }
}
