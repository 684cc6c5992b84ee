using JobScheduler.Grains.Actions;

namespace JobScheduler.Grains.Tests.Actions;

/// <summary>
/// A command runs on a <see cref="CommandLeash"/> (a <c>/bin/sh</c> wrapper): the command sees what it saw without
/// one (its arguments as given, <c>/dev/null</c> as stdin, its own exit status), and a timeout also kills what left the
/// process tree but stayed in the command's group. Dying with a SIGKILLed server is checked on the real server process
/// (DurabilityTests in the SQLite tests).
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CommandLeashTests : IDisposable
{
    private readonly ActionHost _host = new();

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("jobscheduler-leash-tests-");

    public CommandLeashTests() =>
        // Writable by every account: a root test run runs commands as nobody.
        File.SetUnixFileMode(_directory.FullName, (UnixFileMode)0b111_111_111);

    private static ActionSpec Sh(string script) => ActionSpec.Run("sh", "-c", script);

    [Fact]
    public async Task Arguments_ReachTheCommandAsGiven_NeverParsedByTheWrappersShell()
    {
        var result = await _host.RunAsync(ActionHost.Job(ActionSpec.Run("printf", "%s|", "$HOME", "a b", "*", "`id`", "\"$@\"", ";", "")));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Equal("$HOME|a b|*|`id`|\"$@\"|;||\n", result.Output);
    }

    [Fact]
    public async Task Command_ReadsNothingFromStdin_AndLeadsAProcessGroupOfItsOwn()
    {
        var result = await _host.RunAsync(ActionHost.Job(Sh("cat; echo \"stdin=$(readlink /proc/self/fd/0) group=$(($(ps -o pgid= $$) == $$))\"")));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Equal("stdin=/dev/null group=1\n", result.Output);
    }

    [Fact]
    public async Task Command_KilledByASignal_ReportsExitCode128PlusTheSignal()
    {
        var result = await _host.RunAsync(ActionHost.Job(Sh("kill -TERM $$")));

        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Equal(128 + 15, result.ExitCode);
        // The wrapper's shell says nothing of its own (dash reports a killed job as "Terminated").
        Assert.True(string.IsNullOrEmpty(result.Output), $"output: {result.Output}");
    }

    [Fact]
    public async Task Timeout_AlsoKillsAProcessThatLeftTheTreeButNotTheGroup()
    {
        // The subshell exits at once, so its sleep is re-parented away from the tree the timeout kills.
        var pidFile = Path.Combine(_directory.FullName, "pid");
        var request = ActionHost.Job(Sh($"(sleep 300 & echo $! > '{pidFile}'); exec sleep 30")) with { Timeout = TimeSpan.FromMilliseconds(700) };
        int? pid = null;
        try
        {
            var result = await _host.RunAsync(request);
            pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);

            Assert.Equal(AttemptOutcome.TimedOut, result.Outcome);
            var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(5);
            while (IsRunning(pid.Value) && DateTimeOffset.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
            Assert.False(IsRunning(pid.Value), $"the orphaned sleep (pid {pid}) survived the timeout");
        }
        finally
        {
            if (pid is { } survivor && IsRunning(survivor))
            {
                using var process = System.Diagnostics.Process.GetProcessById(survivor);
                process.Kill();
            }
        }
    }

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
            // Gone, or exited while being read.
            return false;
        }
    }

    public void Dispose()
    {
        _host.Dispose();
        _directory.Delete(recursive: true);
    }
}
