using System.Diagnostics;
using System.Net;
using System.Text.Json;
using static JobScheduler.Api.Tests.DagBodies;
using static JobScheduler.Api.Tests.DagRest;

namespace JobScheduler.Api.Tests;

/// <summary>DAG runs over real HTTP: order, fan-out, failure and its clean-up, outputs, waits, cancel and retry.</summary>
public sealed class DagRunsApiTests(CommandsEnabledServer server) : IClassFixture<CommandsEnabledServer>
{
    private HttpClient Http => server.Http;

    [Fact]
    public async Task Chain_RunsEachStepAfterTheOneBefore()
    {
        await server.PutDagAsync("chain", Manual(Noop("a"), Noop("b", "a"), Noop("c", "b")));

        var runId = await server.TriggerDagAsync("chain");
        var run = await server.WaitForRunAsync(runId);

        Assert.Equal("succeeded", run.GetProperty("state").GetString());
        Assert.Equal("chain", run.GetProperty("dagId").GetString());
        Assert.NotEqual(JsonValueKind.Null, run.GetProperty("finishedAt").ValueKind);
        var (a, b, c) = (Step(run, "a"), Step(run, "b"), Step(run, "c"));
        Assert.All(new[] { a, b, c }, s => Assert.Equal("succeeded", s.GetProperty("state").GetString()));
        Assert.True(b.GetProperty("startedAt").GetDateTimeOffset() >= a.GetProperty("finishedAt").GetDateTimeOffset());
        Assert.True(c.GetProperty("startedAt").GetDateTimeOffset() >= b.GetProperty("finishedAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task FanOutFanIn_FiftyParallelSteps_AllSucceed_AndEachExecutionIsReadable()
    {
        var middle = Enumerable.Range(0, 50).Select(i => $"part-{i:00}").ToArray();
        await server.PutDagAsync("fan", Manual([Noop("split"), .. middle.Select(id => Noop(id, "split")), Noop("join", middle)]));

        var runId = await server.TriggerDagAsync("fan");
        var run = await server.WaitForRunAsync(runId);

        Assert.Equal("succeeded", run.GetProperty("state").GetString());
        var steps = run.GetProperty("steps").EnumerateArray().ToArray();
        Assert.Equal(52, steps.Length);
        var joinStarted = Step(run, "join").GetProperty("startedAt").GetDateTimeOffset();
        foreach (var step in steps)
        {
            var id = step.GetProperty("id").GetString()!;
            Assert.Equal("succeeded", step.GetProperty("state").GetString());
            var executionId = step.GetProperty("executionId").GetString();
            using var response = await Http.GetAsync($"/api/executions/{executionId}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var execution = await response.JsonAsync();
            Assert.Equal("succeeded", execution.GetProperty("state").GetString());
            Assert.Equal(runId, execution.GetProperty("dagRunId").GetString());
            Assert.Equal(id, execution.GetProperty("stepId").GetString());
            if (id.StartsWith("part-", StringComparison.Ordinal))
            {
                Assert.True(joinStarted >= step.GetProperty("finishedAt").GetDateTimeOffset(), $"join started before {id} finished");
            }
        }
    }

    [Fact]
    public async Task FailingStep_FailsTheRun_SkipsItsDependants_AndRunsTheAnyFailedCleanUp()
    {
        await server.PutDagAsync("fails", Manual(
            Shell("extract", "echo broken >&2; exit 3"),
            Noop("transform", "extract"),
            Noop("load", "transform"),
            Noop("audit"),
            With(Noop("cleanup", "load", "audit"), "\"condition\":\"anyFailed\"")));

        var run = await server.WaitForRunAsync(await server.TriggerDagAsync("fails"));

        Assert.Equal("failed", run.GetProperty("state").GetString());
        Assert.Equal("failed", StateOf(run, "extract"));
        Assert.Equal("skipped", StateOf(run, "transform"));
        Assert.Equal("skipped", StateOf(run, "load"));
        Assert.Equal("succeeded", StateOf(run, "audit"));
        Assert.Equal("succeeded", StateOf(run, "cleanup"));
        Assert.True(Step(run, "transform").GetProperty("executionId").ValueKind == JsonValueKind.Null, "a skipped step has no execution");
        var execution = await (await Http.GetAsync($"/api/executions/{Step(run, "extract").GetProperty("executionId").GetString()}")).JsonAsync();
        Assert.Equal(3, execution.GetProperty("attempts")[0].GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public async Task AnyFailedCleanUp_IsSkippedWhenNothingFailed()
    {
        await server.PutDagAsync("no-failure", Manual(Noop("work"), With(Noop("cleanup", "work"), "\"condition\":\"anyFailed\"")));

        var run = await server.WaitForRunAsync(await server.TriggerDagAsync("no-failure"));

        Assert.Equal("succeeded", run.GetProperty("state").GetString());
        Assert.Equal("skipped", StateOf(run, "cleanup"));
    }

    [Fact]
    public async Task ContinueOnFailure_LetsTheDependantsRun_AndTheRunSucceeds()
    {
        await server.PutDagAsync("tolerant", Manual(
            With(Shell("optional", "exit 1"), "\"continueOnFailure\":true"),
            Noop("next", "optional"),
            Noop("last", "next")));

        var run = await server.WaitForRunAsync(await server.TriggerDagAsync("tolerant"));

        Assert.Equal("succeeded", run.GetProperty("state").GetString());
        Assert.Equal("failed", StateOf(run, "optional"));
        Assert.Equal("succeeded", StateOf(run, "next"));
        Assert.Equal("succeeded", StateOf(run, "last"));
    }

    [Fact]
    public async Task Outputs_ArePassedToDependants_AndShownOnTheRun()
    {
        await server.PutDagAsync("outputs", Manual(
            Shell("extract", """echo file=out.csv >> "$JOBSCHEDULER_OUTPUT"; echo rows=42 >> "$JOBSCHEDULER_OUTPUT" """),
            Shell("transform", """test "$JOBSCHEDULER_UPSTREAM_EXTRACT_FILE" = out.csv && test "$JOBSCHEDULER_UPSTREAM_EXTRACT_ROWS" = 42""", "extract")));

        var run = await server.WaitForRunAsync(await server.TriggerDagAsync("outputs"));

        Assert.Equal("succeeded", run.GetProperty("state").GetString());
        Assert.Equal("succeeded", StateOf(run, "transform"));
        var outputs = Step(run, "extract").GetProperty("outputs");
        Assert.Equal("out.csv", outputs.GetProperty("file").GetString());
        Assert.Equal("42", outputs.GetProperty("rows").GetString());
    }

    [Fact]
    public async Task TriggeredRun_ShowsEveryStepWithTheSpecKeys_PendingStepsWithNullsAndEmptyOutputs()
    {
        await server.PutDagAsync("wire-shape", Manual(Shell("first", "sleep 30"), Noop("second", "first"), Noop("third", "second")));
        var runId = await server.TriggerDagAsync("wire-shape");
        try
        {
            var run = await server.GetRunAsync(runId);
            var listed = (await (await Http.GetAsync("/api/dags/wire-shape/runs")).JsonAsync()).GetProperty("items").EnumerateArray().Single();

            // SPEC §6: {"id", "dagId", "state", "startedAt", "finishedAt", "steps": [{"id", "state", "executionId",
            // "startedAt", "finishedAt", "outputs": {}}]}, the same in the run and in the run list.
            foreach (var shown in new[] { run, listed })
            {
                Assert.Equal(runId, shown.GetProperty("id").GetString());
                Assert.Equal("wire-shape", shown.GetProperty("dagId").GetString());
                Assert.Equal("running", shown.GetProperty("state").GetString());
                Assert.Equal(JsonValueKind.String, shown.GetProperty("startedAt").ValueKind);
                Assert.Equal(JsonValueKind.Null, shown.GetProperty("finishedAt").ValueKind);
                foreach (var pending in new[] { Step(shown, "second"), Step(shown, "third") })
                {
                    Assert.Equal("pending", pending.GetProperty("state").GetString());
                    Assert.Equal(JsonValueKind.Null, pending.GetProperty("executionId").ValueKind);
                    Assert.Equal(JsonValueKind.Null, pending.GetProperty("startedAt").ValueKind);
                    Assert.Equal(JsonValueKind.Null, pending.GetProperty("finishedAt").ValueKind);
                    Assert.Equal(JsonValueKind.Object, pending.GetProperty("outputs").ValueKind);
                    Assert.Empty(pending.GetProperty("outputs").EnumerateObject());
                }
            }
            // The SDK mirrors it: no outputs is an empty dictionary, not null.
            var viaSdk = (await server.Sdk.GetDagRunAsync(runId))!;
            Assert.All(viaSdk.Steps.Where(s => s.Id != "first"), s => Assert.Empty(s.Outputs));
        }
        finally
        {
            await Http.SendJsonAsync(HttpMethod.Post, $"/api/dag-runs/{runId}/cancel", null);
        }
    }

    [Fact]
    public async Task WaitForJob_WaitsUntilThatJobRuns_ThenTheStepRunsAndTheRunSucceeds()
    {
        await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/nightly-export", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"}}""");
        await server.PutDagAsync("waits", Manual(
            Noop("prepare"),
            With(Noop("load", "prepare"), "\"waitFor\":{\"job\":\"nightly-export\",\"within\":\"PT1H\",\"timeout\":\"PT30S\"}")));

        var runId = await server.TriggerDagAsync("waits");
        var waiting = await server.WaitForStepAsync(runId, "load", "waiting");
        Assert.True(waiting.GetProperty("executionId").ValueKind == JsonValueKind.Null, "a waiting step has no execution yet");
        var exported = (await (await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/nightly-export/trigger", null)).JsonAsync()).GetProperty("id").GetString();
        var run = await server.WaitForRunAsync(runId);

        Assert.Equal("succeeded", run.GetProperty("state").GetString());
        Assert.Equal("succeeded", StateOf(run, "load"));
        Assert.Equal(exported, Step(run, "load").GetProperty("waitedFor").GetString());
    }

    [Fact]
    public async Task WaitForJob_ThatNeverRuns_FailsTheStepAtItsTimeout()
    {
        await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/never-runs", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"}}""");
        await server.PutDagAsync("waits-in-vain", Manual(
            With(Noop("load"), "\"waitFor\":{\"job\":\"never-runs\",\"within\":\"PT1H\",\"timeout\":\"PT1S\"}"),
            Noop("report", "load")));

        var started = Stopwatch.StartNew();
        var run = await server.WaitForRunAsync(await server.TriggerDagAsync("waits-in-vain"));

        Assert.Equal("failed", run.GetProperty("state").GetString());
        Assert.Equal("failed", StateOf(run, "load"));
        Assert.Contains("timed out", Step(run, "load").GetProperty("reason").GetString());
        Assert.Equal("skipped", StateOf(run, "report"));
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task WaitForJob_AlreadySatisfiedByARecentRun_DoesNotWait()
    {
        await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/ran-earlier", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"}}""");
        var earlier = (await (await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/ran-earlier/trigger", null)).JsonAsync()).GetProperty("id").GetString()!;
        await server.Sdk.WaitForCompletionAsync(earlier);
        await server.PutDagAsync("satisfied", Manual(With(Noop("load"), "\"waitFor\":{\"job\":\"ran-earlier\",\"within\":\"PT1H\",\"timeout\":\"PT30S\"}")));

        var run = await server.WaitForRunAsync(await server.TriggerDagAsync("satisfied"));

        Assert.Equal("succeeded", run.GetProperty("state").GetString());
        Assert.Equal(earlier, Step(run, "load").GetProperty("waitedFor").GetString());
    }

    [Fact]
    public async Task WaitForDag_RunsTheStepOnceThatDagSucceeds()
    {
        await server.PutDagAsync("upstream-dag", Manual(Noop("publish")));
        await server.PutDagAsync("downstream-dag", Manual(With(Noop("consume"), "\"waitFor\":{\"dag\":\"upstream-dag\",\"timeout\":\"PT30S\"}")));

        var runId = await server.TriggerDagAsync("downstream-dag");
        await server.WaitForStepAsync(runId, "consume", "waiting");
        var upstreamRun = await server.TriggerDagAsync("upstream-dag");
        var run = await server.WaitForRunAsync(runId);

        Assert.Equal("succeeded", run.GetProperty("state").GetString());
        Assert.Equal(upstreamRun, Step(run, "consume").GetProperty("waitedFor").GetString());
    }

    [Fact]
    public async Task AllDoneStep_RunsAfterAFailure_AndTheRunStillFails()
    {
        await server.PutDagAsync("all-done", Manual(Shell("breaks", "exit 1"), With(Noop("report", "breaks"), "\"condition\":\"allDone\"")));

        var run = await server.WaitForRunAsync(await server.TriggerDagAsync("all-done"));

        Assert.Equal("succeeded", StateOf(run, "report"));
        Assert.Equal("failed", run.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Cancel_OfAWaitingStep_EndsTheRunAtOnce()
    {
        await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/never-comes", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"}}""");
        await server.PutDagAsync("cancel-waiting", Manual(With(Noop("load"), "\"waitFor\":{\"job\":\"never-comes\",\"timeout\":\"PT1H\"}")));
        var runId = await server.TriggerDagAsync("cancel-waiting");
        await server.WaitForStepAsync(runId, "load", "waiting");

        var cancelled = await (await Http.SendJsonAsync(HttpMethod.Post, $"/api/dag-runs/{runId}/cancel", null)).JsonAsync();
        var run = await server.Sdk.WaitForDagRunAsync(runId, TimeSpan.FromSeconds(2));

        Assert.Equal(DagRunState.Cancelled, run.State);
        Assert.Equal(StepState.Cancelled, run.Steps.Single().State);
        Assert.NotEqual("waiting", StateOf(cancelled, "load"));
    }

    [Fact]
    public async Task Retry_OfACancelledRun_RunsTheCancelledStepsAgain()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"jobscheduler-dag-marker-{Guid.NewGuid():n}");
        try
        {
            await server.PutDagAsync("cancel-then-retry", Manual(Noop("first"), Shell("slow", $"test -f '{marker}' || sleep 30", "first"), Noop("last", "slow")));
            var runId = await server.TriggerDagAsync("cancel-then-retry");
            await server.WaitForStepAsync(runId, "slow", "running");
            await Http.SendJsonAsync(HttpMethod.Post, $"/api/dag-runs/{runId}/cancel", null);
            Assert.Equal("cancelled", (await server.WaitForRunAsync(runId)).GetProperty("state").GetString());

            await File.WriteAllTextAsync(marker, "");
            var response = await Http.SendJsonAsync(HttpMethod.Post, $"/api/dag-runs/{runId}/retry", null);
            var run = await server.WaitForRunAsync(runId);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("succeeded", run.GetProperty("state").GetString());
            Assert.Equal(1, Step(run, "first").GetProperty("tries").GetInt32());
            Assert.Equal("succeeded", StateOf(run, "last"));
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Cancel_OfARunningRun_KillsEveryRunningStepsProcessesWithinASecond_AndEndsCancelled()
    {
        // Two steps run in parallel, each a shell with a child; each writes both pids ("$$ $!") to a file, in a directory
        // the account commands run as (nobody, for a root server) can write.
        var markers = Directory.CreateTempSubdirectory("jobscheduler-dag-cancel-").FullName;
        File.SetUnixFileMode(markers, (UnixFileMode)0b111_111_111);
        string[] sleepy = ["sleepy-a", "sleepy-b"];
        var pids = new List<int>();
        try
        {
            await server.PutDagAsync("cancelled", Manual([
                .. sleepy.Select(id => Shell(id, $"sleep 30 & echo \"$$ $!\" > '{Path.Combine(markers, id)}'; wait")),
                Noop("after", sleepy)]));
            var runId = await server.TriggerDagAsync("cancelled");
            var executionIds = new List<string>();
            foreach (var id in sleepy)
            {
                var executionId = (await server.WaitForStepAsync(runId, id, "running")).GetProperty("executionId").GetString()!;
                await WaitForAttemptAsync(executionId);
                pids.AddRange(await WaitForPidsAsync(Path.Combine(markers, id)));
                executionIds.Add(executionId);
            }
            Assert.All(pids, pid => Assert.True(IsRunning(pid), $"process {pid} of a step is not running before the cancel"));

            var clock = Stopwatch.StartNew();
            var response = await Http.SendJsonAsync(HttpMethod.Post, $"/api/dag-runs/{runId}/cancel", null);
            var answered = clock.Elapsed;
            while (pids.Any(IsRunning) && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(10);
            }
            var gone = clock.Elapsed;
            var run = await server.WaitForRunAsync(runId);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.All(pids, pid => Assert.False(IsRunning(pid), $"process {pid} of a step outlived the cancel by 10 s"));
            // Measured from when the cancel was sent. It answers once the processes are gone: 16–300 ms warm, up to 0.6 s for
            // a fresh server's first cancel, on 2 cores at load 7–16 (a run row and an execution row are written before the kill).
            Assert.True(gone < TimeSpan.FromSeconds(1), $"the steps' processes were gone {gone} after the cancel was sent (answered after {answered})");
            Assert.Equal("cancelled", run.GetProperty("state").GetString());
            Assert.All(sleepy, id => Assert.Equal("cancelled", StateOf(run, id)));
            Assert.Contains(StateOf(run, "after"), new[] { "skipped", "cancelled" });
            Assert.True(Step(run, "after").GetProperty("executionId").ValueKind == JsonValueKind.Null, "the step after the cancelled ones never ran");
            foreach (var executionId in executionIds)
            {
                var execution = await (await Http.GetAsync($"/api/executions/{executionId}")).JsonAsync();
                Assert.Equal("cancelled", execution.GetProperty("state").GetString());
                Assert.Equal("cancelled", execution.GetProperty("attempts")[0].GetProperty("outcome").GetString());
            }
        }
        finally
        {
            foreach (var survivor in pids.Where(IsRunning))
            {
                using var process = Process.GetProcessById(survivor);
                process.Kill();
            }
            Directory.Delete(markers, recursive: true);
        }
    }

    [Fact]
    public async Task RetryFromFailed_RerunsOnlyTheFailedStepAndItsDependants()
    {
        var marker = Path.Combine(Path.GetTempPath(), $"jobscheduler-dag-marker-{Guid.NewGuid():n}");
        try
        {
            await server.PutDagAsync("retried", Manual(
                Noop("first"),
                Noop("aside"),
                Shell("check", $"test -f '{marker}'", "first"),
                Noop("after", "check")));
            var runId = await server.TriggerDagAsync("retried");
            var failed = await server.WaitForRunAsync(runId);
            Assert.Equal("failed", failed.GetProperty("state").GetString());
            Assert.Equal("skipped", StateOf(failed, "after"));

            await File.WriteAllTextAsync(marker, "");
            var response = await Http.SendJsonAsync(HttpMethod.Post, $"/api/dag-runs/{runId}/retry", null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(runId, (await response.JsonAsync()).GetProperty("id").GetString());
            var retried = await server.WaitForRunAsync(runId);

            Assert.Equal("succeeded", retried.GetProperty("state").GetString());
            Assert.Equal(1, retried.GetProperty("retries").GetInt32());
            foreach (var kept in new[] { "first", "aside" })
            {
                Assert.Equal(ExecutionOf(failed, kept), ExecutionOf(retried, kept));
                Assert.Equal(1, Step(retried, kept).GetProperty("tries").GetInt32());
            }
            Assert.NotEqual(ExecutionOf(failed, "check"), ExecutionOf(retried, "check"));
            Assert.Equal(2, Step(retried, "check").GetProperty("tries").GetInt32());
            Assert.Equal("succeeded", StateOf(retried, "after"));
            var firstTry = await (await Http.GetAsync($"/api/executions/{ExecutionOf(failed, "check")}")).JsonAsync();
            Assert.Equal("failed", firstTry.GetProperty("state").GetString());
        }
        finally
        {
            File.Delete(marker);
        }
    }

    [Fact]
    public async Task Retry_OfASucceededRun_IsAConflictSayingWhy()
    {
        await server.PutDagAsync("done-once", Manual(Noop("a")));
        var runId = await server.TriggerDagAsync("done-once");
        await server.WaitForRunAsync(runId);

        var response = await Http.SendJsonAsync(HttpMethod.Post, $"/api/dag-runs/{runId}/retry", null);
        var problem = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.False(string.IsNullOrEmpty(problem.GetProperty("detail").GetString()));
        Assert.Equal("succeeded", (await server.GetRunAsync(runId)).GetProperty("state").GetString());
    }

    [Fact]
    public async Task Retry_OfARunningRun_IsAConflict_AndTheRunGoesOn()
    {
        await server.PutDagAsync("still-running", Manual(Shell("sleepy", "sleep 30")));
        var runId = await server.TriggerDagAsync("still-running");
        await server.WaitForStepAsync(runId, "sleepy", "running");

        var response = await Http.SendJsonAsync(HttpMethod.Post, $"/api/dag-runs/{runId}/retry", null);

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Contains("running", (await response.JsonAsync()).GetProperty("detail").GetString());
        Assert.Equal("running", StateOf(await server.GetRunAsync(runId), "sleepy"));
        await Http.SendJsonAsync(HttpMethod.Post, $"/api/dag-runs/{runId}/cancel", null);
    }

    [Fact]
    public async Task IntervalDag_StartsRunsByItself_AndPauseStopsIt()
    {
        var body = """{"schedule":{"kind":"interval","every":"PT0.3S"},"steps":[{"id":"a","action":{"kind":"handler","handler":"noop"}},{"id":"b","action":{"kind":"handler","handler":"noop"},"dependsOn":["a"]}]}""";
        await server.PutDagAsync("every-300ms", body);

        var deadline = DateTimeOffset.UtcNow + Patience;
        JsonElement[] runs;
        do
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "the interval DAG did not run twice by itself");
            await Task.Delay(100);
            runs = [.. (await (await Http.GetAsync("/api/dags/every-300ms/runs?state=succeeded")).JsonAsync()).GetProperty("items").EnumerateArray()];
        }
        while (runs.Length < 2);
        var paused = await (await Http.SendJsonAsync(HttpMethod.Post, "/api/dags/every-300ms/pause", null)).JsonAsync();

        Assert.All(runs, r => Assert.Equal("schedule", r.GetProperty("trigger").GetString()));
        var apart = runs[0].GetProperty("scheduledAt").GetDateTimeOffset() - runs[1].GetProperty("scheduledAt").GetDateTimeOffset();
        // Fires are on the interval's grid (a busy machine may make a fire a misfire, so not necessarily adjacent ones).
        Assert.True(apart > TimeSpan.Zero && apart.Ticks % TimeSpan.FromMilliseconds(300).Ticks == 0, $"runs {apart} apart");
        Assert.Equal("paused", paused.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, paused.GetProperty("nextFireAt").ValueKind);
    }

    [Fact]
    public async Task DeletingADag_DropsItsFinishedRuns()
    {
        await server.PutDagAsync("deleted-dag", Manual(Noop("a")));
        var runId = await server.TriggerDagAsync("deleted-dag");
        var executionId = ExecutionOf(await server.WaitForRunAsync(runId), "a");

        Assert.Equal(HttpStatusCode.NoContent, (await Http.DeleteAsync("/api/dags/deleted-dag")).StatusCode);

        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/dags/deleted-dag")).StatusCode);
        await GoneAsync($"/api/executions/{executionId}");
        await GoneAsync($"/api/dag-runs/{runId}");
    }

    /// <summary>What a delete drops may go a moment after it answers; it must not stay.</summary>
    private async Task GoneAsync(string path)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(10);
        while ((await Http.GetAsync(path)).StatusCode != HttpStatusCode.NotFound)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, $"{path} still answers 10 s after its DAG was deleted");
            await Task.Delay(50);
        }
    }

    private static string ExecutionOf(JsonElement run, string stepId) => Step(run, stepId).GetProperty("executionId").GetString()!;

    /// <summary>Until the step's process has started, a cancel has nothing to kill; the test is about killing it.</summary>
    private async Task WaitForAttemptAsync(string executionId)
    {
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (true)
        {
            var execution = await server.Sdk.GetExecutionAsync(executionId);
            if (execution is { State: ExecutionState.Running, Attempts.Length: > 0 })
            {
                return;
            }
            Assert.True(DateTimeOffset.UtcNow < deadline, $"execution {executionId} never started: {execution?.State}");
            await Task.Delay(50);
        }
    }

    /// <summary>The pids a step wrote to <paramref name="file"/> (space-separated), once the line is there whole.</summary>
    private static async Task<int[]> WaitForPidsAsync(string file)
    {
        var deadline = DateTimeOffset.UtcNow + Patience;
        while (true)
        {
            var text = File.Exists(file) ? File.ReadAllText(file) : "";
            if (text.EndsWith('\n'))
            {
                return [.. text.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    .Select(p => int.Parse(p, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture))];
            }
            Assert.True(DateTimeOffset.UtcNow < deadline, $"the step never wrote its pids to {file}");
            await Task.Delay(20);
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
            // Gone (not found), or exited while being read.
            return false;
        }
    }
}
