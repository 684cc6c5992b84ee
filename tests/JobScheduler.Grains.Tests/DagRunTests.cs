namespace JobScheduler.Grains.Tests;

/// <summary>DAG runs through the grains (memory storage, real time): steps as executions, conditions, waits, cancel, retry.</summary>
public sealed class DagRunTests(RealClockCluster fixture) : IClassFixture<RealClockCluster>
{
    private static readonly TimeSpan RunWait = TimeSpan.FromSeconds(25);

    private static DagStepSpec Step(string id, ActionSpec action, params string[] dependsOn) =>
        new() { Id = id, Action = action, DependsOn = dependsOn };

    private static DagStepSpec Noop(string id, params string[] dependsOn) => Step(id, ActionSpec.RunHandler("noop"), dependsOn);

    private async Task<DagRunInfo> RunAsync(string dagId, DagSpec spec, DagTriggerOptions? options = null)
    {
        var dag = fixture.Client.GetGrain<IDagGrain>(dagId);
        var put = await dag.PutAsync(spec, "tester", createOnly: false);
        Assert.True(put.IsValid, string.Join("; ", put.Errors.Select(e => $"{e.Field}: {e.Message}")));
        var trigger = await dag.TriggerAsync(options);
        Assert.True(trigger.IsValid);
        return await WaitAsync(trigger.Run!.Id);
    }

    private async Task<DagRunInfo> WaitAsync(string runId)
    {
        var run = await fixture.Client.GetGrain<IDagRunGrain>(runId).WaitAsync(RunWait);
        Assert.NotNull(run);
        Assert.True(run.IsTerminal, $"{runId} is still {run.State}: {string.Join(", ", run.Steps.Select(s => $"{s.Id}={s.State}"))}");
        return run;
    }

    private static DagStepRunInfo StepOf(DagRunInfo run, string id) => run.Steps.Single(s => s.Id == id);

    [Fact]
    public async Task Chain_RunsEachStepAfterItsUpstream_AsExecutionsOfTheRun()
    {
        var run = await RunAsync("chain", new DagSpec { Steps = [Noop("a"), Noop("b", "a"), Noop("c", "b")] });

        Assert.Equal(DagRunState.Succeeded, run.State);
        Assert.All(run.Steps, s => Assert.Equal(StepState.Succeeded, s.State));
        var executions = new List<ExecutionInfo>();
        foreach (var step in run.Steps)
        {
            var execution = await fixture.Client.GetGrain<IExecutionGrain>(step.ExecutionId!).GetAsync();
            Assert.Equal(ExecutionState.Succeeded, execution!.State);
            Assert.Equal(run.Id, execution.DagRunId);
            Assert.Equal(step.Id, execution.StepId);
            Assert.Equal($"chain:{step.Id}", execution.JobId);
            executions.Add(execution);
        }
        Assert.True(executions[1].Attempts[0].StartedAt >= executions[0].FinishedAt);
        Assert.True(executions[2].Attempts[0].StartedAt >= executions[1].FinishedAt);
    }

    [Fact]
    public async Task FanOutAndIn_HundredsOfSteps_AllRunAndTheJoinRunsLast()
    {
        var branches = Enumerable.Range(0, 300).Select(i => Noop($"t{i}", "extract")).ToArray();
        var run = await RunAsync("fan", new DagSpec { Steps = [Noop("extract"), .. branches, Noop("load", [.. branches.Select(b => b.Id!)])] });

        Assert.Equal(DagRunState.Succeeded, run.State);
        Assert.Equal(302, run.Steps.Count(s => s.State == StepState.Succeeded));
        Assert.True(StepOf(run, "load").StartedAt >= run.Steps.Where(s => s.Id.StartsWith('t')).Max(s => s.FinishedAt));
    }

    [Fact]
    public async Task Outputs_ReachTheDependants_WithTheRunParameters()
    {
        var run = await RunAsync("passes-data", new DagSpec
        {
            Steps =
            [
                Step("extract", ActionSpec.Run("sh", "-c", "echo file=out.csv >> \"$JOBSCHEDULER_OUTPUT\"")),
                Step("transform", ActionSpec.Run("sh", "-c",
                    "test \"$JOBSCHEDULER_UPSTREAM_EXTRACT_FILE\" = out.csv && test \"$JOBSCHEDULER_PARAM_DATE\" = 2026-11-30"), "extract"),
            ],
        }, new DagTriggerOptions { Parameters = new() { ["date"] = "2026-11-30" } });

        Assert.Equal(DagRunState.Succeeded, run.State);
        Assert.Equal("out.csv", StepOf(run, "extract").Outputs!["file"]);
        Assert.Equal("2026-11-30", run.Parameters!["date"]);
    }

    [Fact]
    public async Task FailedStep_FailsTheRun_SkipsItsDependants_AndRunsTheCleanUp()
    {
        var run = await RunAsync("failing", new DagSpec
        {
            Steps =
            [
                Noop("extract"),
                Step("transform", ActionSpec.RunHandler(FlakyHandler.Name, new { succeedOn = 99 }), "extract") with { Retry = new RetryPolicy { MaxAttempts = 2, InitialBackoff = TimeSpan.FromMilliseconds(10), Jitter = 0 } },
                Noop("load", "transform"),
                Noop("cleanup", "load") with { Condition = StepCondition.AnyFailed },
            ],
        });

        Assert.Equal(DagRunState.Failed, run.State);
        Assert.Equal(StepState.Failed, StepOf(run, "transform").State);
        Assert.Equal(StepState.Skipped, StepOf(run, "load").State);
        Assert.Equal(StepState.Succeeded, StepOf(run, "cleanup").State);
        var transform = await fixture.Client.GetGrain<IExecutionGrain>(StepOf(run, "transform").ExecutionId!).GetAsync();
        Assert.Equal(2, transform!.Attempts.Length);
    }

    [Fact]
    public async Task ContinueOnFailure_LetsTheRunSucceed()
    {
        var run = await RunAsync("optional", new DagSpec
        {
            Steps =
            [
                Step("optional", ActionSpec.RunHandler(FlakyHandler.Name, new { succeedOn = 99 })) with { ContinueOnFailure = true },
                Noop("next", "optional"),
            ],
        });

        Assert.Equal(DagRunState.Succeeded, run.State);
        Assert.Equal(StepState.Failed, StepOf(run, "optional").State);
        Assert.Equal(StepState.Succeeded, StepOf(run, "next").State);
    }

    [Fact]
    public async Task WaitFor_StartsTheStepWhenTheWaitedForJobSucceeds()
    {
        var job = fixture.Client.GetGrain<IJobGrain>("nightly-export");
        await job.PutAsync(new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("noop") }, "tester", createOnly: false);
        var dag = fixture.Client.GetGrain<IDagGrain>("waits");
        await dag.PutAsync(new DagSpec
        {
            Steps = [Noop("load") with { WaitFor = new WaitForSpec { Job = "nightly-export", Within = TimeSpan.FromHours(1) } }],
        }, "tester", createOnly: false);
        var runId = (await dag.TriggerAsync(null)).Run!.Id;
        var runGrain = fixture.Client.GetGrain<IDagRunGrain>(runId);

        var waiting = await PollAsync(runGrain, r => StepOf(r, "load").State == StepState.Waiting);
        Assert.NotNull(StepOf(waiting, "load").WaitUntil);
        var execution = (await job.TriggerAsync(null)).ExecutionId!;
        var run = await WaitAsync(runId);

        Assert.Equal(DagRunState.Succeeded, run.State);
        Assert.Equal(execution, StepOf(run, "load").WaitedFor);
    }

    [Fact]
    public async Task WaitFor_AnEarlierSuccessInsideTheWindow_SatisfiesAtOnce_AndAMissingJobFailsTheStep()
    {
        var job = fixture.Client.GetGrain<IJobGrain>("export-done");
        await job.PutAsync(new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("noop") }, "tester", createOnly: false);
        await fixture.CompletedAsync((await job.TriggerAsync(null)).ExecutionId!);

        var run = await RunAsync("waits-done", new DagSpec
        {
            Steps =
            [
                Noop("load") with { WaitFor = new WaitForSpec { Job = "export-done" } },
                Noop("other") with { WaitFor = new WaitForSpec { Job = "no-such-job" } },
            ],
        });

        Assert.Equal(StepState.Succeeded, StepOf(run, "load").State);
        Assert.Equal(StepState.Failed, StepOf(run, "other").State);
        Assert.Contains("no-such-job", StepOf(run, "other").Reason);
    }

    [Fact]
    public async Task WaitFor_TimesOut_FailingTheStep()
    {
        var job = fixture.Client.GetGrain<IJobGrain>("never-runs");
        await job.PutAsync(new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("noop") }, "tester", createOnly: false);

        var run = await RunAsync("waits-in-vain", new DagSpec
        {
            Steps = [Noop("load") with { WaitFor = new WaitForSpec { Job = "never-runs", Timeout = TimeSpan.FromMilliseconds(500) } }],
        });

        Assert.Equal(DagRunState.Failed, run.State);
        Assert.Contains("timed out", StepOf(run, "load").Reason);
    }

    [Fact]
    public async Task Cancel_StopsTheRunningStep_AndCancelsTheRest()
    {
        var dag = fixture.Client.GetGrain<IDagGrain>("long");
        await dag.PutAsync(new DagSpec { Steps = [Step("sleep", ActionSpec.RunHandler("sleep", new { ms = 60_000 })), Noop("after", "sleep")] }, "tester", createOnly: false);
        var runGrain = fixture.Client.GetGrain<IDagRunGrain>((await dag.TriggerAsync(null)).Run!.Id);
        await PollAsync(runGrain, r => StepOf(r, "sleep").State == StepState.Running);

        var cancelled = await runGrain.CancelAsync();

        Assert.Equal(DagRunState.Cancelled, cancelled!.State);
        Assert.Equal(StepState.Cancelled, StepOf(cancelled, "sleep").State);
        Assert.Equal(StepState.Cancelled, StepOf(cancelled, "after").State);
        var execution = await fixture.Client.GetGrain<IExecutionGrain>(StepOf(cancelled, "sleep").ExecutionId!).GetAsync();
        Assert.Equal(ExecutionState.Cancelled, execution!.State);
    }

    [Fact]
    public async Task Retry_RerunsOnlyTheFailedStepAndItsDependants()
    {
        SwitchHandler.Close("retry-gate");
        var run = await RunAsync("retried", new DagSpec
        {
            Steps =
            [
                Noop("extract"),
                Step("transform", ActionSpec.RunHandler(SwitchHandler.Name, new { key = "retry-gate" }), "extract"),
                Noop("load", "transform"),
            ],
        });
        Assert.Equal(DagRunState.Failed, run.State);
        SwitchHandler.Open("retry-gate");

        var retried = await fixture.Client.GetGrain<IDagRunGrain>(run.Id).RetryAsync();
        var final = await WaitAsync(run.Id);

        Assert.True(retried.IsValid);
        Assert.Equal(DagRunState.Succeeded, final.State);
        Assert.Equal(1, final.Retries);
        Assert.Equal(StepOf(run, "extract").ExecutionId, StepOf(final, "extract").ExecutionId);
        Assert.Equal(1, StepOf(final, "extract").Tries);
        Assert.Equal(2, StepOf(final, "transform").Tries);
        Assert.EndsWith(":transform~2", StepOf(final, "transform").ExecutionId);
        Assert.False((await fixture.Client.GetGrain<IDagRunGrain>(run.Id).RetryAsync()).IsValid);
    }

    [Fact]
    public async Task Put_RefusesACycle_AndStoresNothing()
    {
        var dag = fixture.Client.GetGrain<IDagGrain>("cyclic");

        var put = await dag.PutAsync(new DagSpec { Steps = [Noop("a", "c"), Noop("b", "a"), Noop("c", "b")] }, "tester", createOnly: false);

        Assert.Contains(put.Errors, e => e.Message.Contains("a → b → c → a"));
        Assert.Null(await dag.GetAsync());
    }

    [Fact]
    public async Task Delete_DropsTheFinishedRunsAndTheirStepExecutions()
    {
        var run = await RunAsync("deleted", new DagSpec { Steps = [Noop("a"), Noop("b", "a")] });
        var dag = fixture.Client.GetGrain<IDagGrain>("deleted");

        Assert.True(await dag.DeleteAsync());

        Assert.Null(await dag.GetAsync());
        Assert.Null(await fixture.Client.GetGrain<IDagRunGrain>(run.Id).GetAsync());
        Assert.Null(await fixture.Client.GetGrain<IExecutionGrain>(StepOf(run, "a").ExecutionId!).GetAsync());
    }

    [Fact]
    public async Task History_KeepsTheNewestRunsUpToTheBound_AndDropsTheOldestWithTheirExecutions()
    {
        var dag = fixture.Client.GetGrain<IDagGrain>("bounded");
        await dag.PutAsync(new DagSpec { Steps = [Noop("a")] }, "tester", createOnly: false);
        var runs = new List<string>();
        for (var i = 0; i < ClusterFixture.MaxExecutionsPerJob + 5; i++)
        {
            var run = (await dag.TriggerAsync(null)).Run!.Id;
            await WaitAsync(run);
            runs.Add(run);
        }
        // The last trigger pruned the history before its own run was counted among the finished ones.
        await WaitAsync((await dag.TriggerAsync(null)).Run!.Id);

        var kept = await dag.ListRunsAsync(new DagRunQuery { Limit = 100 });

        Assert.Equal(ClusterFixture.MaxExecutionsPerJob, kept!.Items.Length);
        Assert.DoesNotContain(runs[0], kept.Items.Select(r => r.Id));
        Assert.Null(await fixture.Client.GetGrain<IDagRunGrain>(runs[0]).GetAsync());
        Assert.Null(await fixture.Client.GetGrain<IExecutionGrain>(DagRunId.StepExecution(runs[0], "a", 1)).GetAsync());
    }

    [Fact]
    public async Task ScheduledDag_RunsOnItsInterval()
    {
        var dag = fixture.Client.GetGrain<IDagGrain>("every-second");
        await dag.PutAsync(new DagSpec { Schedule = ScheduleSpec.Interval(TimeSpan.FromMilliseconds(500)), Steps = [Noop("tick")] }, "tester", createOnly: false);

        var deadline = DateTime.UtcNow.AddSeconds(15);
        Page<DagRunInfo>? runs;
        do
        {
            await Task.Delay(200);
            runs = await dag.ListRunsAsync(new DagRunQuery { State = DagRunState.Succeeded });
        }
        while (runs!.Items.Length < 2 && DateTime.UtcNow < deadline);
        await dag.DeleteAsync();

        Assert.True(runs.Items.Length >= 2, $"{runs.Items.Length} run(s) succeeded");
        Assert.All(runs.Items, r => Assert.Equal("schedule", r.Trigger));
        Assert.True(runs.Items[0].ScheduledAt > runs.Items[1].ScheduledAt);
    }

    private static async Task<DagRunInfo> PollAsync(IDagRunGrain run, Func<DagRunInfo, bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var info = await run.GetAsync();
            if (condition(info!))
            {
                return info!;
            }
            Assert.True(DateTime.UtcNow < deadline, $"condition never held: {string.Join(", ", info!.Steps.Select(s => $"{s.Id}={s.State}"))}");
            await Task.Delay(20);
        }
    }
}
