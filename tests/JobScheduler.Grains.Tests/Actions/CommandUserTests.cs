using System.Diagnostics;
using JobScheduler.Grains.Actions;
using JobScheduler.Grains.Hosting;

namespace JobScheduler.Grains.Tests.Actions;

/// <summary>
/// Command actions never run as root (SPEC §10): a root server (CI runs as root) runs them as
/// <c>JobScheduler:Actions:Command:RunAsUser</c>, default <c>nobody</c>, with none of its own environment; the allow-list
/// and the program's path are decided again on the node that runs the attempt. Where a test needs root to mean
/// anything, a non-root run checks what holds there instead: the command runs as the server's own user.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class CommandUserTests : IDisposable
{
    private const string ServerSecret = "JOBSCHEDULER_TEST_SERVER_SECRET";

    private static readonly bool IsRoot = Environment.IsPrivilegedProcess;

    private readonly ActionHost _host;

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("jobscheduler-user-tests-");

    public CommandUserTests()
    {
        // Set in this process before its runners exist, as a secret in a real server's environment would be.
        Environment.SetEnvironmentVariable(ServerSecret, "hunter2");
        _host = new ActionHost();
        // Readable by every account, as anything a test hands to a command run as nobody must be.
        File.SetUnixFileMode(_directory.FullName, (UnixFileMode)0b111_101_101);
    }

    private static ActionSpec Sh(string script) => ActionSpec.Run("sh", "-c", script);

    /// <summary>What <c>id <paramref name="args"/></c> prints, run by this test process itself.</summary>
    private static string Id(params string[] args)
    {
        using var process = Process.Start(new ProcessStartInfo("id", args) { RedirectStandardOutput = true })!;
        var output = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return output;
    }

    [Fact]
    public async Task Command_OnARootServer_RunsAsNobody_NeverAsRoot()
    {
        var result = await _host.RunAsync(ActionHost.Job(ActionSpec.Run("id", "-u")));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        var uid = result.Output!.Trim();
        if (IsRoot)
        {
            Assert.NotEqual("0", uid);
            Assert.Equal(Id("-u", "nobody"), uid);
        }
        else
        {
            Assert.Equal(Id("-u"), uid);
        }
    }

    [Fact]
    public async Task Command_OnARootServer_SeesNoneOfTheServersEnvironment_OnlyItsOwnAndTheSchedulers()
    {
        var action = Sh($"""printenv {ServerSecret}; echo "home=$HOME user=$USER logname=$LOGNAME path=$PATH own=$OWN job=$JOBSCHEDULER_JOB_ID" """) with
        {
            Env = new() { ["OWN"] = "mine" },
        };

        var result = await _host.RunAsync(ActionHost.Job(action));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Contains("own=mine job=nightly", result.Output);
        if (IsRoot)
        {
            Assert.DoesNotContain("hunter2", result.Output);
            // nobody's home (/nonexistent) does not exist, so HOME is /.
            Assert.Contains($"home=/ user=nobody logname=nobody path={CommandSandbox.SafePath} ", result.Output);
        }
    }

    [Fact]
    public async Task Command_OnARootServer_WorksInADirectoryOfItsOwn_DeletedAfterwards()
    {
        var result = await _host.RunAsync(ActionHost.Job(Sh("""pwd; touch made-here && echo wrote; stat -c 'owner=%U' .""")));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Contains("wrote", result.Output);
        if (IsRoot)
        {
            var directory = result.Output!.Split('\n')[0];
            Assert.StartsWith(Path.GetTempPath(), directory + "/", StringComparison.Ordinal);
            Assert.Contains("owner=nobody", result.Output);
            Assert.False(Directory.Exists(directory), $"{directory} outlived its attempt");
        }
    }

    [Fact]
    public async Task CommandStep_OnARootServer_CannotSwapItsOutputsFileForALink()
    {
        // Were the link made, root would read /etc/shadow back as the step's outputs.
        const string script = """rm -f "$JOBSCHEDULER_OUTPUT" && ln -s /etc/shadow "$JOBSCHEDULER_OUTPUT"; echo rows=1 >> "$JOBSCHEDULER_OUTPUT" """;

        var result = await _host.RunAsync(ActionHost.Step("extract", Sh(script), null));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        if (IsRoot)
        {
            Assert.Equal(new Dictionary<string, string> { ["rows"] = "1" }, result.Outputs);
        }
    }

    [Fact]
    public async Task RunAsUser_ThatDoesNotExist_FailsTheAttemptSayingSo()
    {
        using var host = new ActionHost(options => options.Actions.Command.RunAsUser = "jobscheduler-no-such-user");

        var result = await host.RunAsync(ActionHost.Job(ActionSpec.Run("id", "-u")));

        if (IsRoot)
        {
            Assert.Equal(AttemptOutcome.Failed, result.Outcome);
            Assert.Contains("'jobscheduler-no-such-user' (JobScheduler:Actions:Command:RunAsUser) does not exist", result.Error);
        }
        else
        {
            Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        }
    }

    [Theory]
    [InlineData("root")]
    [InlineData("0")]
    public void RunAsUser_Root_IsRefusedByTheOptionsValidator(string user)
    {
        var options = new JobSchedulerOptions();
        options.Actions.Command.RunAsUser = user;

        var validation = new JobSchedulerOptionsValidator().Validate(null, options);

        Assert.True(validation.Failed);
        Assert.Contains("JobScheduler:Actions:Command:RunAsUser is", validation.FailureMessage);
        Assert.Contains("never run as root", validation.FailureMessage);
    }

    [Fact]
    public void RunAsUser_Default_IsNobody_AndValid()
    {
        var options = new JobSchedulerOptions();

        Assert.Equal("nobody", options.Actions.Command.RunAsUser);
        Assert.True(new JobSchedulerOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public async Task AllowList_OfTheRunningNode_RefusesAProgramNotOnIt()
    {
        // The job was accepted elsewhere (or before the list changed); this node's list is what counts.
        using var host = new ActionHost(options => options.Actions.Command.AllowedExecutables = ["true"]);

        var refused = await host.RunAsync(ActionHost.Job(Sh("echo ran")));
        var allowed = await host.RunAsync(ActionHost.Job(ActionSpec.Run(CommandExecutableOf("true"))));

        Assert.Equal(AttemptOutcome.Failed, refused.Outcome);
        Assert.StartsWith("refused on this node: 'sh'", refused.Error);
        Assert.Contains("AllowedExecutables", refused.Error);
        Assert.DoesNotContain("ran", refused.Output);
        Assert.Equal(AttemptOutcome.Succeeded, allowed.Outcome);
    }

    [Fact]
    public async Task RelativePath_IsRefusedAtRunTime()
    {
        var result = await _host.RunAsync(ActionHost.Job(ActionSpec.Run("../../bin/sh", "-c", "echo ran")));

        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Contains("relative path", result.Error);
    }

    [Fact]
    public async Task ActionEnvPath_DoesNotChangeWhichProgramRuns()
    {
        var impostor = Path.Combine(_directory.FullName, "sh");
        await File.WriteAllTextAsync(impostor, "#!/bin/sh\necho impostor\n");
        File.SetUnixFileMode(impostor, (UnixFileMode)0b111_101_101);
        using var host = new ActionHost(options => options.Actions.Command.AllowedExecutables = ["sh"]);

        var result = await host.RunAsync(ActionHost.Job(Sh("echo real") with { Env = new() { ["PATH"] = _directory.FullName } }));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Equal("real\n", result.Output);
    }

    private static string CommandExecutableOf(string name) => JobScheduler.Core.CommandExecutable.Resolve(name).Path!;

    public void Dispose()
    {
        _host.Dispose();
        _directory.Delete(recursive: true);
    }
}
