namespace JobScheduler.Grains.Tests;

/// <summary>Attempts, retries, timeouts and cancel, on the real clock with short durations; results are awaited, never slept for.</summary>
public sealed class ExecutionGrainTests(RealClockCluster fixture) : IClassFixture<RealClockCluster>
{
    private static readonly RetryPolicy FastRetry = new()
    {
        MaxAttempts = 3,
        InitialBackoff = TimeSpan.FromMilliseconds(100),
        MaxBackoff = TimeSpan.FromSeconds(1),
        Multiplier = 2,
        Jitter = 0,
    };

    private IJobGrain Job(string id) => fixture.Client.GetGrain<IJobGrain>(id);

    private async Task<string> TriggerAsync(string jobId, JobSpec spec)
    {
        var put = await Job(jobId).PutAsync(spec with { Schedule = ScheduleSpec.Manual() }, "tester", createOnly: false);
        Assert.True(put.IsValid, string.Join("; ", put.Errors.Select(e => $"{e.Field}: {e.Message}")));
        var trigger = await Job(jobId).TriggerAsync(null);
        return trigger.ExecutionId!;
    }

    [Fact]
    public async Task FailingCommand_IsRetriedWithBackoff_AndEveryAttemptIsRecorded()
    {
        var id = await TriggerAsync("failing", new JobSpec { Action = ActionSpec.Run("bash", "-c", "echo trying; exit 3"), Retry = FastRetry });
        var execution = await fixture.CompletedAsync(id);

        Assert.Equal(ExecutionState.Failed, execution.State);
        Assert.Equal([1, 2, 3], execution.Attempts.Select(a => a.Number));
        Assert.All(execution.Attempts, a =>
        {
            Assert.Equal(AttemptOutcome.Failed, a.Outcome);
            Assert.Equal(3, a.ExitCode);
            Assert.Equal("trying\n", a.Output);
            Assert.False(string.IsNullOrEmpty(a.Node));
        });
        // Backoff doubles: at least 100 ms before attempt 2 and 200 ms before attempt 3.
        var firstWait = execution.Attempts[1].StartedAt - execution.Attempts[0].FinishedAt!.Value;
        var secondWait = execution.Attempts[2].StartedAt - execution.Attempts[1].FinishedAt!.Value;
        Assert.True(firstWait >= TimeSpan.FromMilliseconds(100), $"first wait {firstWait}");
        Assert.True(secondWait >= TimeSpan.FromMilliseconds(200), $"second wait {secondWait}");
    }

    [Fact]
    public async Task HttpToANameResolvingToLoopback_FailsEveryAttempt_AndTheRetriesEnd()
    {
        var id = await TriggerAsync("internal-http", new JobSpec
        {
            Action = ActionSpec.HttpRequest($"http://admin.{LoopbackNamesResolver.Domain}:5080/api/jobs"),
            Retry = FastRetry,
        });
        var execution = await fixture.CompletedAsync(id);

        Assert.Equal(ExecutionState.Failed, execution.State);
        Assert.Equal([1, 2, 3], execution.Attempts.Select(a => a.Number));
        Assert.All(execution.Attempts, a =>
        {
            Assert.Equal(AttemptOutcome.Failed, a.Outcome);
            Assert.Equal(
                $"http: admin.{LoopbackNamesResolver.Domain} resolves to 127.0.0.1; 127.0.0.1 is in a blocked network (127.0.0.0/8); allow it with JobScheduler:Actions:Http:AllowedNetworks",
                a.Error);
        });
    }

    [Fact]
    public async Task FlakyHandler_SucceedsOnItsThirdAttempt()
    {
        var id = await TriggerAsync("flaky", new JobSpec { Action = ActionSpec.RunHandler(FlakyHandler.Name, new { succeedOn = 3 }), Retry = FastRetry });
        var execution = await fixture.CompletedAsync(id);

        Assert.Equal(ExecutionState.Succeeded, execution.State);
        Assert.Equal([AttemptOutcome.Failed, AttemptOutcome.Failed, AttemptOutcome.Succeeded], execution.Attempts.Select(a => a.Outcome!.Value));
        Assert.Contains("fails on purpose", execution.Attempts[0].Error);
        Assert.Equal("attempt 3\n", execution.Attempts[2].Output);
    }

    [Fact]
    public async Task Timeout_KillsTheWholeProcessTree_AndCountsAsTimedOut()
    {
        var pidFile = Path.Combine(Path.GetTempPath(), $"jobscheduler-{Guid.NewGuid():n}.pid");
        var id = await TriggerAsync("timeout", new JobSpec
        {
            // bash starts a grandchild sleep and waits; both must die at the timeout.
            Action = ActionSpec.Run("bash", "-c", $"sleep 30 & echo $! > {pidFile}; wait"),
            Timeout = TimeSpan.FromMilliseconds(700),
        });
        var execution = await fixture.CompletedAsync(id);

        var attempt = Assert.Single(execution.Attempts);
        Assert.Equal(ExecutionState.Failed, execution.State);
        Assert.Equal(AttemptOutcome.TimedOut, attempt.Outcome);
        Assert.True(attempt.Duration < TimeSpan.FromSeconds(10));
        var sleepPid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.False(IsRunning(sleepPid), $"the grandchild sleep (pid {sleepPid}) survived the timeout");
        File.Delete(pidFile);
    }

    [Fact]
    public async Task Cancel_StopsTheRunningAttempt_AndPreventsRetries()
    {
        var id = await TriggerAsync("cancel", new JobSpec { Action = ActionSpec.RunHandler(BlockingHandler.Name), Retry = FastRetry });
        await BlockingHandler.Started(id);

        var cancelled = await fixture.Client.GetGrain<IExecutionGrain>(id).CancelAsync();

        Assert.Equal(ExecutionState.Cancelled, cancelled!.State);
        var attempt = Assert.Single(cancelled.Attempts);
        Assert.Equal(AttemptOutcome.Cancelled, attempt.Outcome);
        Assert.NotNull(cancelled.FinishedAt);
    }

    [Fact]
    public async Task StartingTheSameExecutionTwice_CreatesItOnce()
    {
        // Executions belong to a job: one whose job is gone is dropped from history once it finishes.
        await fixture.Client.GetGrain<IJobGrain>("dedupe").PutAsync(new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("noop") }, "tester", createOnly: false);
        var request = new ExecutionRequest
        {
            JobId = "dedupe",
            Owner = "tester",
            ScheduledAt = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero),
            Action = ActionSpec.RunHandler("noop"),
        };
        var grain = fixture.Client.GetGrain<IExecutionGrain>(ExecutionId.For(request.JobId, request.ScheduledAt));
        var first = await grain.StartAsync(request);
        var second = await grain.StartAsync(request with { Action = ActionSpec.RunHandler(BlockingHandler.Name) });
        var done = await fixture.CompletedAsync(first.Id);

        Assert.Equal(first.Id, second.Id);
        Assert.Equal(first.CreatedAt, second.CreatedAt);
        Assert.Single(done.Attempts);
        Assert.Equal(ExecutionState.Succeeded, done.State);
    }

    [Fact]
    public async Task CommandOutput_KeepsStdoutAndStderr()
    {
        var id = await TriggerAsync("output", new JobSpec { Action = ActionSpec.Run("bash", "-c", "echo out; echo err >&2") });
        var execution = await fixture.CompletedAsync(id);

        var attempt = Assert.Single(execution.Attempts);
        Assert.Equal(AttemptOutcome.Succeeded, attempt.Outcome);
        Assert.Equal(0, attempt.ExitCode);
        Assert.Contains("out\n", attempt.Output);
        Assert.Contains("err\n", attempt.Output);
    }

    [Fact]
    public async Task CommandJob_OnARootSilo_RunsAsNobody_WithoutTheSilosEnvironment()
    {
        const string secret = "JOBSCHEDULER_TEST_SILO_SECRET";
        Environment.SetEnvironmentVariable(secret, "hunter2");
        var id = await TriggerAsync("whoami", new JobSpec { Action = ActionSpec.Run("sh", "-c", $"id -u; printenv {secret}; echo end") });
        var attempt = Assert.Single((await fixture.CompletedAsync(id)).Attempts);

        Assert.Equal(AttemptOutcome.Succeeded, attempt.Outcome);
        var lines = attempt.Output!.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEqual("0", lines[0]);
        if (Environment.IsPrivilegedProcess)
        {
            // CI runs as root: the attempt's uid is nobody's, and the silo's variable is not there.
            Assert.Equal([NobodyUid(), "end"], lines);
        }
    }

    private static string NobodyUid()
    {
        using var id = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("id", ["-u", "nobody"]) { RedirectStandardOutput = true })!;
        var uid = id.StandardOutput.ReadToEnd().Trim();
        id.WaitForExit();
        return uid;
    }

    [Fact]
    public async Task MissingExecutable_FailsWithAClearError()
    {
        var id = await TriggerAsync("missing", new JobSpec { Action = ActionSpec.Run("/no/such/program") });
        var execution = await fixture.CompletedAsync(id);

        var attempt = Assert.Single(execution.Attempts);
        Assert.Equal(AttemptOutcome.Failed, attempt.Outcome);
        Assert.Contains("could not start '/no/such/program'", attempt.Error);
    }

    [Fact]
    public async Task MemoryLimit_KillsACommandThatExceedsIt_AndSaysSo()
    {
        var id = await TriggerAsync("greedy", new JobSpec
        {
            // tail keeps the whole "last line" (300 MB of zeros, no newline) in memory.
            Action = ActionSpec.Run("bash", "-c", "head -c 300000000 /dev/zero | tail -n 1 > /dev/null"),
            Resources = new ResourceRequest { Limits = new ResourceLimits { MemoryMb = 50, CpuMillis = 500 } },
        });
        var attempt = Assert.Single((await fixture.CompletedAsync(id)).Attempts);

        Assert.Equal(AttemptOutcome.Failed, attempt.Outcome);
        Assert.NotNull(attempt.Limits);
        if (attempt.Limits.Any(l => l.Contains("cgroup", StringComparison.Ordinal)))
        {
            Assert.Contains("memory 50 MB (cgroup", string.Join("; ", attempt.Limits));
            Assert.Contains("cpu 500 millicores (cgroup", string.Join("; ", attempt.Limits));
            Assert.Contains("killed for exceeding its memory limit of 50 MB", attempt.Error);
        }
        else
        {
            Assert.Contains("memory 50 MB (address-space rlimit)", attempt.Limits);
        }
    }

    [Fact]
    public async Task Limits_ThatAreNotExceeded_AreRecordedOnASuccessfulAttempt()
    {
        var id = await TriggerAsync("modest", new JobSpec
        {
            Action = ActionSpec.Run("bash", "-c", "echo within limits"),
            Resources = new ResourceRequest { Limits = new ResourceLimits { MemoryMb = 100 } },
        });
        var attempt = Assert.Single((await fixture.CompletedAsync(id)).Attempts);

        Assert.Equal(AttemptOutcome.Succeeded, attempt.Outcome);
        Assert.Equal("within limits\n", attempt.Output);
        Assert.Contains(attempt.Limits!, l => l.StartsWith("memory 100 MB", StringComparison.Ordinal));
    }

    private static bool IsRunning(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat))
        {
            return false;
        }
        try
        {
            // A zombie (state Z) is dead, merely not yet reaped.
            var text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)] != 'Z';
        }
        catch (IOException)
        {
            return false;
        }
    }
}
