using JobScheduler.Core.Dags;

namespace JobScheduler.Core.Tests.Dags;

public class DagRunProgressTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private const string RunId = "etl@20261130T120000.0000000Z";

    private static DagStepSpec Step(string id, params string[] dependsOn) =>
        new() { Id = id, Action = ActionSpec.RunHandler("noop"), DependsOn = dependsOn };

    private static DagRunProgress Progress(params DagStepSpec[] steps) =>
        new(RunId, new DagRunRequest { DagId = "etl", ScheduledAt = Now, Steps = steps }, null);

    /// <summary>Starts what <paramref name="decisions"/> says and returns the ids.</summary>
    private static string[] StartAll(DagRunProgress progress, StepDecisions decisions)
    {
        foreach (var id in decisions.Start)
        {
            progress.Start(id, Now);
        }
        return [.. decisions.Start];
    }

    private static ExecutionInfo Ended(DagRunProgress progress, string stepId, ExecutionState state, Dictionary<string, string>? outputs = null) => new()
    {
        Id = progress.Step(stepId).ExecutionId!,
        State = state,
        FinishedAt = Now.AddSeconds(1),
        Attempts = [new AttemptInfo { Number = 1, StartedAt = Now, Outcome = state == ExecutionState.Succeeded ? AttemptOutcome.Succeeded : AttemptOutcome.Failed, Outputs = outputs }],
    };

    /// <summary>Ends a running step and starts what follows; returns the ids started.</summary>
    private static string[] End(DagRunProgress progress, string stepId, ExecutionState state, Dictionary<string, string>? outputs = null)
    {
        Assert.True(progress.Finish(stepId, Ended(progress, stepId, state, outputs)));
        return StartAll(progress, progress.Advance([stepId], Now));
    }

    [Fact]
    public void Chain_StartsEachStepOnlyWhenItsUpstreamSucceeded()
    {
        var progress = Progress(Step("a"), Step("b", "a"), Step("c", "b"));

        Assert.Equal(["a"], StartAll(progress, progress.Advance(null, Now)));
        Assert.Equal(["b"], End(progress, "a", ExecutionState.Succeeded));
        Assert.Equal(["c"], End(progress, "b", ExecutionState.Succeeded));
        Assert.Empty(End(progress, "c", ExecutionState.Succeeded));
        Assert.Equal(DagRunState.Succeeded, progress.Outcome(cancelRequested: false));
    }

    [Fact]
    public void FanIn_TheJoinStartsOnceAfterTheLastBranch()
    {
        var branches = Enumerable.Range(0, 200).Select(i => Step($"t{i}", "root")).ToArray();
        var progress = Progress([Step("root"), .. branches, Step("join", [.. branches.Select(b => b.Id!)])]);
        StartAll(progress, progress.Advance(null, Now));

        Assert.Equal(200, End(progress, "root", ExecutionState.Succeeded).Length);
        for (var i = 0; i < 199; i++)
        {
            Assert.Empty(End(progress, $"t{i}", ExecutionState.Succeeded));
        }
        Assert.Equal(["join"], End(progress, "t199", ExecutionState.Succeeded));
    }

    [Fact]
    public void FailedStep_SkipsItsDependantsTransitively_RunsAnyFailedCleanUp_AndFailsTheRun()
    {
        var progress = Progress(
            Step("extract"), Step("transform", "extract"), Step("load", "transform"),
            Step("cleanup", "load") with { Condition = StepCondition.AnyFailed });
        StartAll(progress, progress.Advance(null, Now));

        // The clean-up hangs off the end of the chain: a failure at its start still reaches it through the skipped links.
        Assert.Equal(["cleanup"], End(progress, "extract", ExecutionState.Failed));
        Assert.Equal(StepState.Skipped, progress.Step("transform").State);
        Assert.Equal(StepState.Skipped, progress.Step("load").State);
        Assert.Equal("upstream step 'extract' failed", progress.Step("transform").Reason);
        Assert.Empty(End(progress, "cleanup", ExecutionState.Succeeded));
        // A clean-up that succeeded does not turn the run green.
        Assert.Equal(DagRunState.Failed, progress.Outcome(cancelRequested: false));
    }

    [Fact]
    public void AnyFailedCleanUp_IsSkippedWhenNothingFailed()
    {
        var progress = Progress(Step("a"), Step("cleanup", "a") with { Condition = StepCondition.AnyFailed });
        StartAll(progress, progress.Advance(null, Now));

        Assert.Empty(End(progress, "a", ExecutionState.Succeeded));

        Assert.Equal(StepState.Skipped, progress.Step("cleanup").State);
        Assert.Equal(DagRunState.Succeeded, progress.Outcome(cancelRequested: false));
    }

    [Fact]
    public void ContinueOnFailure_LetsDependantsRun_AndTheRunSucceed()
    {
        var progress = Progress(Step("optional") with { ContinueOnFailure = true }, Step("next", "optional"));
        StartAll(progress, progress.Advance(null, Now));

        Assert.Equal(["next"], End(progress, "optional", ExecutionState.Failed));
        End(progress, "next", ExecutionState.Succeeded);

        Assert.Equal(DagRunState.Succeeded, progress.Outcome(cancelRequested: false));
    }

    [Fact]
    public void AllDone_RunsAfterEveryUpstreamEnded_WhateverTheEnd()
    {
        var progress = Progress(Step("a"), Step("b"), Step("report", "a", "b") with { Condition = StepCondition.AllDone });
        StartAll(progress, progress.Advance(null, Now));

        Assert.Empty(End(progress, "a", ExecutionState.Failed));
        Assert.Equal(["report"], End(progress, "b", ExecutionState.Succeeded));
    }

    [Fact]
    public void AllSucceeded_IsSkippedAsSoonAsOneUpstreamFailed_WithoutWaitingForTheOthers()
    {
        var progress = Progress(Step("a"), Step("slow"), Step("join", "a", "slow"));
        StartAll(progress, progress.Advance(null, Now));

        End(progress, "a", ExecutionState.Failed);

        Assert.Equal(StepState.Skipped, progress.Step("join").State);
        Assert.Equal(StepState.Running, progress.Step("slow").State);
        Assert.Null(progress.Outcome(cancelRequested: false));
    }

    [Fact]
    public void Outputs_GoToDirectDependants_WithTheRunParameters()
    {
        var request = new DagRunRequest
        {
            DagId = "etl",
            ScheduledAt = Now,
            Steps = [Step("extract"), Step("transform", "extract")],
            Parameters = new() { ["date"] = "2026-11-30" },
        };
        var progress = new DagRunProgress(RunId, request, null);
        StartAll(progress, progress.Advance(null, Now));

        End(progress, "extract", ExecutionState.Succeeded, new() { ["file"] = "out.csv" });
        var inputs = progress.InputsFor("transform");

        Assert.Equal("out.csv", inputs.Upstream["extract"]["file"]);
        Assert.Equal("2026-11-30", inputs.Parameters["date"]);
        Assert.Equal("out.csv", progress.Step("extract").Outputs!["file"]);
    }

    [Fact]
    public void WaitFor_PutsTheStepInWaiting_WithItsDeadline_ThenFailsItWhenTheDeadlinePasses()
    {
        var waitFor = new WaitForSpec { Job = "nightly-export", Within = TimeSpan.FromHours(24), Timeout = TimeSpan.FromMinutes(5) };
        var progress = Progress(Step("load") with { WaitFor = waitFor });

        var decisions = progress.Advance(null, Now);

        Assert.Empty(decisions.Start);
        Assert.Equal(["load"], decisions.Wait);
        Assert.Equal(StepState.Waiting, progress.Step("load").State);
        Assert.Equal(Now.AddMinutes(5), progress.NextWaitDeadline);
        Assert.Equal(Now.AddHours(-24), progress.WaitSince(waitFor));
        Assert.Empty(progress.FailWaits(Now.AddMinutes(4)));
        Assert.Equal(["load"], progress.FailWaits(Now.AddMinutes(5)));
        Assert.Equal(DagRunState.Failed, progress.Outcome(cancelRequested: false));
    }

    [Fact]
    public void RetryFromFailed_ResetsFailedAndDownstreamSteps_KeepsSucceededOnes_AndStartsTheFailedStepsNextTry()
    {
        var progress = Progress(
            Step("extract"), Step("transform", "extract"), Step("load", "transform"),
            Step("cleanup", "transform") with { Condition = StepCondition.AnyFailed });
        StartAll(progress, progress.Advance(null, Now));
        End(progress, "extract", ExecutionState.Succeeded, new() { ["file"] = "out.csv" });
        End(progress, "transform", ExecutionState.Failed);
        End(progress, "cleanup", ExecutionState.Succeeded);
        Assert.Equal(DagRunState.Failed, progress.Outcome(cancelRequested: false));
        var extractExecution = progress.Step("extract").ExecutionId;

        var reset = progress.ResetForRetry();
        var started = StartAll(progress, progress.Advance(null, Now));

        Assert.Equal(["transform", "load", "cleanup"], reset);
        Assert.Equal(["transform"], started);
        Assert.Equal($"{RunId}:transform~2", progress.Step("transform").ExecutionId);
        Assert.Equal(extractExecution, progress.Step("extract").ExecutionId);
        Assert.Equal("out.csv", progress.InputsFor("transform").Upstream["extract"]["file"]);
    }

    [Fact]
    public void Finish_IgnoresAReportFromAnEarlierTry()
    {
        var progress = Progress(Step("a"));
        StartAll(progress, progress.Advance(null, Now));
        var firstTry = Ended(progress, "a", ExecutionState.Failed);
        Assert.True(progress.Finish("a", firstTry));
        progress.ResetForRetry();
        StartAll(progress, progress.Advance(null, Now));

        Assert.False(progress.Finish("a", firstTry));
        Assert.Equal(StepState.Running, progress.Step("a").State);
    }

    [Fact]
    public void Cancel_CancelsWhatHasNotStarted_AndReturnsWhatRuns()
    {
        var progress = Progress(Step("a"), Step("b", "a"), Step("w") with { WaitFor = new WaitForSpec { Dag = "other" } });
        StartAll(progress, progress.Advance(null, Now));

        var running = progress.Cancel(Now);

        Assert.Equal(["a"], running.Select(s => s.Id));
        Assert.Equal(StepState.Cancelled, progress.Step("b").State);
        Assert.Equal(StepState.Cancelled, progress.Step("w").State);
        Assert.Null(progress.Outcome(cancelRequested: true));
        progress.Finish("a", Ended(progress, "a", ExecutionState.Cancelled));
        Assert.Equal(DagRunState.Cancelled, progress.Outcome(cancelRequested: true));
    }

    [Fact]
    public void Outputs_BeyondTheRunsBound_FailTheStepThatWouldCrossIt()
    {
        var branches = Enumerable.Range(0, 20).Select(i => Step($"b{i}")).ToArray();
        var progress = Progress(branches);
        StartAll(progress, progress.Advance(null, Now));
        var value = new string('x', 60 * 1024);

        for (var i = 0; i < 17; i++)
        {
            End(progress, $"b{i}", ExecutionState.Succeeded, new() { ["blob"] = value });
            Assert.Equal(StepState.Succeeded, progress.Step($"b{i}").State);
        }
        End(progress, "b17", ExecutionState.Succeeded, new() { ["blob"] = value });

        Assert.Equal(StepState.Failed, progress.Step("b17").State);
        Assert.Empty(progress.Step("b17").Outputs);
        Assert.Contains("1024 KiB", progress.Step("b17").Reason);
    }
}
