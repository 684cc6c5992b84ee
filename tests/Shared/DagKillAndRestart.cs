using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace JobScheduler.Testing;

/// <summary>
/// The DAG crash tests, the same on every durable store (docs/dags.md, Durability): a run of <c>first → slow → last</c>
/// plus <c>side</c> after <c>first</c> is caught with <c>slow</c> running, the server is killed with SIGKILL and started
/// again on the same storage. The run must finish as the same run: finished steps not re-run, the running step re-run as
/// a <c>lost</c> attempt, the waiting step started once its upstream completed. A second scenario
/// (<see cref="RunWithAWaitingStepAsync(ServerProcess, TimeSpan)"/>) kills it while a step waits for another job
/// (<c>waitFor</c>). Every step's command appends a line to a marker file of its own when it starts, so that a run the
/// scheduler did not record would still be counted.
/// </summary>
public static class DagKillAndRestart
{
    /// <summary>Runs the scenario on <paramref name="server"/> (not started yet).</summary>
    public static async Task RunAsync(ServerProcess server, TimeSpan patience)
    {
        var markers = CreateMarkerDirectory();
        try
        {
            await RunAsync(server, markers, patience);
        }
        finally
        {
            Directory.Delete(markers, recursive: true);
        }
    }

    /// <summary>
    /// A new directory for <see cref="MarkedStep"/>'s marker files, writable by every account: a root server runs the
    /// steps as nobody (<c>JobScheduler:Actions:Command:RunAsUser</c>).
    /// </summary>
    public static string CreateMarkerDirectory()
    {
        var markers = Directory.CreateTempSubdirectory("jobscheduler-dag-markers-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(markers, (UnixFileMode)0b111_111_111);
        }
        return markers;
    }

    private static async Task RunAsync(ServerProcess server, string markers, TimeSpan patience)
    {
        await server.StartAsync();
        await server.SendJsonAsync(HttpMethod.Put, "/api/dags/crash", Manual(
            MarkedStep("first", markers),
            MarkedStep("side", markers, dependsOn: ["first"]),
            MarkedStep("slow", markers, then: "sleep 5", dependsOn: ["first"]),
            MarkedStep("last", markers, dependsOn: ["slow"])));
        var runId = await TriggerAsync(server, "crash");

        // Caught with `slow`'s process really running (its marker written), `first` and `side` done, `last` not started.
        var before = await server.EventuallyAsync(async () =>
        {
            var run = await server.GetJsonAsync($"/api/dag-runs/{runId}");
            return StateOf(run, "first") == "succeeded" && StateOf(run, "side") == "succeeded" && StateOf(run, "slow") == "running"
                && MarkerLines(markers, "slow").Length == 1 ? (JsonElement?)run : null;
        }, patience, "slow to be running after first and side succeeded");
        Assert.Equal("pending", StateOf(before, "last"));
        var slowId = ExecutionIdOf(before, "slow");
        var slowBefore = await server.GetJsonAsync($"/api/executions/{slowId}");
        Assert.Equal("running", slowBefore.GetProperty("state").GetString());

        await server.KillAsync();
        var ready = await server.StartAsync();

        var after = await server.EventuallyAsync(async () =>
            await server.GetJsonAsync($"/api/dag-runs/{runId}") is var run && run.GetProperty("state").GetString() != "running" ? (JsonElement?)run : null,
            patience, "the run to finish after the restart");
        Assert.Equal("succeeded", after.GetProperty("state").GetString());
        Assert.Equal(Instant(before, "startedAt"), Instant(after, "startedAt"));
        Assert.All(after.GetProperty("steps").EnumerateArray(), s => Assert.Equal("succeeded", s.GetProperty("state").GetString()));

        // Finished steps were not re-run: one process each, one attempt, the same execution and times as before the kill.
        foreach (var stepId in new[] { "first", "side" })
        {
            Assert.Equal(["attempt 1"], MarkerLines(markers, stepId));
            Assert.Equal(ExecutionIdOf(before, stepId), ExecutionIdOf(after, stepId));
            Assert.Equal(Instant(Step(before, stepId), "startedAt"), Instant(Step(after, stepId), "startedAt"));
            Assert.Equal(Instant(Step(before, stepId), "finishedAt"), Instant(Step(after, stepId), "finishedAt"));
            var execution = await server.GetJsonAsync($"/api/executions/{ExecutionIdOf(after, stepId)}");
            Assert.Equal(["succeeded"], Outcomes(execution));
        }

        // The running step's attempt died with the server: recorded as lost and run again soon after the restart.
        Assert.Equal(slowId, ExecutionIdOf(after, "slow"));
        Assert.Equal(["attempt 1", "attempt 2"], MarkerLines(markers, "slow"));
        var slow = await server.GetJsonAsync($"/api/executions/{slowId}");
        Assert.Equal(["lost", "succeeded"], Outcomes(slow));
        var slowAttempts = slow.GetProperty("attempts").EnumerateArray().ToArray();
        Assert.Equal(Instant(slowBefore.GetProperty("attempts")[0], "startedAt"), Instant(slowAttempts[0], "startedAt"));
        var rerunAfter = slowAttempts[1].GetProperty("startedAt").GetDateTimeOffset() - ready;
        Assert.True(rerunAfter < TimeSpan.FromSeconds(10), $"the lost attempt of slow restarted {rerunAfter} after the server was ready");

        // The step waiting on it started once, after its second attempt ended.
        Assert.Equal(["attempt 1"], MarkerLines(markers, "last"));
        var slowFinished = slowAttempts[1].GetProperty("finishedAt").GetDateTimeOffset();
        Assert.True(Step(after, "last").GetProperty("startedAt").GetDateTimeOffset() >= Step(after, "slow").GetProperty("finishedAt").GetDateTimeOffset(),
            $"last started before slow finished: {after}");
        var last = await server.GetJsonAsync($"/api/executions/{ExecutionIdOf(after, "last")}");
        Assert.Equal(["succeeded"], Outcomes(last));
        Assert.True(last.GetProperty("attempts")[0].GetProperty("startedAt").GetDateTimeOffset() >= slowFinished,
            $"last started at {last.GetProperty("attempts")[0].GetProperty("startedAt")}, before slow's second attempt finished at {slowFinished}");
    }

    /// <summary>
    /// The crash with a step waiting for another job (docs/dags.md, waitFor and Restart): a run of <c>first → gate → last</c>
    /// plus <c>side</c> after <c>first</c>, where <c>gate</c> waits for a successful run of the job <c>upstream</c>, is
    /// caught with <c>first</c> and <c>side</c> done and <c>gate</c> waiting, in memory and in its stored row, and the server
    /// is killed with SIGKILL and started again. The step must still be waiting, with the deadline it had; once
    /// <c>upstream</c> is triggered and succeeds, <c>gate</c> starts, then <c>last</c>, and the run succeeds as the same run
    /// without re-running <c>first</c> or <c>side</c>. Runs on <paramref name="server"/> (not started yet).
    /// </summary>
    public static async Task RunWithAWaitingStepAsync(ServerProcess server, TimeSpan patience)
    {
        var markers = CreateMarkerDirectory();
        try
        {
            await RunWithAWaitingStepAsync(server, markers, patience);
        }
        finally
        {
            Directory.Delete(markers, recursive: true);
        }
    }

    private static async Task RunWithAWaitingStepAsync(ServerProcess server, string markers, TimeSpan patience)
    {
        await server.StartAsync();
        await server.SendJsonAsync(HttpMethod.Put, "/api/jobs/upstream", new { schedule = new { kind = "manual" }, action = MarkedAction("upstream", markers) });
        await server.SendJsonAsync(HttpMethod.Put, "/api/dags/gated", Manual(
            MarkedStep("first", markers),
            MarkedStep("side", markers, dependsOn: ["first"]),
            MarkedStep("gate", markers, dependsOn: ["first"], waitFor: new { job = "upstream", within = "PT1H", timeout = "PT10M" }),
            MarkedStep("last", markers, dependsOn: ["gate"])));
        var runId = await TriggerAsync(server, "gated");

        var before = await server.EventuallyAsync(async () =>
        {
            var run = await server.GetJsonAsync($"/api/dag-runs/{runId}");
            return StateOf(run, "first") == "succeeded" && StateOf(run, "side") == "succeeded" && StateOf(run, "gate") == "waiting"
                ? (JsonElement?)run : null;
        }, patience, "gate to be waiting after first and side succeeded");
        Assert.Equal("pending", StateOf(before, "last"));
        Assert.True(Step(before, "gate").GetProperty("executionId").ValueKind == JsonValueKind.Null, $"a waiting step has no execution: {before}");
        var waitUntil = Instant(Step(before, "gate"), "waitUntil");
        // The run's row is written a moment after its steps change (coalesced writes). Killed once the stored row, which
        // lists read, records the wait too: the restart then recovers a waiting step rather than deciding a pending one.
        await server.EventuallyAsync(async () =>
        {
            var stored = (await server.GetJsonAsync("/api/dags/gated/runs")).GetProperty("items").EnumerateArray().Single();
            return StateOf(stored, "gate") == "waiting" && StateOf(stored, "side") == "succeeded" ? (JsonElement?)stored : null;
        }, patience, "the stored run to record gate as waiting");

        await server.KillAsync();
        await server.StartAsync();

        // Still waiting after the restart, on the same deadline: nothing started it, and the wait did not begin anew.
        var recovered = await server.GetJsonAsync($"/api/dag-runs/{runId}");
        Assert.Equal("running", recovered.GetProperty("state").GetString());
        Assert.Equal("waiting", StateOf(recovered, "gate"));
        Assert.Equal(waitUntil, Instant(Step(recovered, "gate"), "waitUntil"));
        Assert.Equal("pending", StateOf(recovered, "last"));
        Assert.Empty(MarkerLines(markers, "upstream"));

        var upstreamId = (await server.SendJsonAsync(HttpMethod.Post, "/api/jobs/upstream/trigger")).GetProperty("id").GetString()!;
        var after = await server.EventuallyAsync(async () =>
            await server.GetJsonAsync($"/api/dag-runs/{runId}") is var run && run.GetProperty("state").GetString() != "running" ? (JsonElement?)run : null,
            patience, "the run to finish once upstream ran");

        Assert.Equal("succeeded", after.GetProperty("state").GetString());
        Assert.Equal(Instant(before, "startedAt"), Instant(after, "startedAt"));
        Assert.All(after.GetProperty("steps").EnumerateArray(), s => Assert.Equal("succeeded", s.GetProperty("state").GetString()));
        var upstream = await server.GetJsonAsync($"/api/executions/{upstreamId}");
        Assert.Equal(["succeeded"], Outcomes(upstream));
        Assert.Equal(upstreamId, Step(after, "gate").GetProperty("waitedFor").GetString());

        // Finished steps were not re-run: one process each, one attempt, the same execution and times as before the kill.
        foreach (var stepId in new[] { "first", "side" })
        {
            Assert.Equal(["attempt 1"], MarkerLines(markers, stepId));
            Assert.Equal(ExecutionIdOf(before, stepId), ExecutionIdOf(after, stepId));
            Assert.Equal(Instant(Step(before, stepId), "startedAt"), Instant(Step(after, stepId), "startedAt"));
            Assert.Equal(Instant(Step(before, stepId), "finishedAt"), Instant(Step(after, stepId), "finishedAt"));
            Assert.Equal(["succeeded"], Outcomes(await server.GetJsonAsync($"/api/executions/{ExecutionIdOf(after, stepId)}")));
        }

        // The waiting step started once, after upstream's success, and the step after it once gate had ended.
        Assert.Equal(["attempt 1"], MarkerLines(markers, "upstream"));
        Assert.Equal(["attempt 1"], MarkerLines(markers, "gate"));
        Assert.Equal(["attempt 1"], MarkerLines(markers, "last"));
        var gate = await server.GetJsonAsync($"/api/executions/{ExecutionIdOf(after, "gate")}");
        Assert.Equal(["succeeded"], Outcomes(gate));
        var upstreamFinished = upstream.GetProperty("finishedAt").GetDateTimeOffset();
        Assert.True(gate.GetProperty("attempts")[0].GetProperty("startedAt").GetDateTimeOffset() >= upstreamFinished,
            $"gate started at {gate.GetProperty("attempts")[0].GetProperty("startedAt")}, before upstream finished at {upstreamFinished}");
        Assert.True(Step(after, "last").GetProperty("startedAt").GetDateTimeOffset() >= Step(after, "gate").GetProperty("finishedAt").GetDateTimeOffset(),
            $"last started before gate finished: {after}");
    }

    /// <summary>A manual DAG with <paramref name="steps"/>, as a REST body.</summary>
    public static object Manual(params object[] steps) => new { schedule = new { kind = "manual" }, steps };

    /// <summary>
    /// A step running <c>sh -c</c>: it appends <c>attempt N</c> to <c>{markers}/{id}</c> when it starts (N from
    /// <c>JOBSCHEDULER_ATTEMPT</c>), then runs <paramref name="then"/>.
    /// </summary>
    public static object MarkedStep(string id, string markers, string? then = null, string[]? dependsOn = null, object? resources = null, object? waitFor = null) =>
        new { id, action = MarkedAction(id, markers, then), dependsOn, resources, waitFor };

    /// <summary>The action of <see cref="MarkedStep"/>, for a job as well: its marker file is <c>{markers}/{id}</c>.</summary>
    public static object MarkedAction(string id, string markers, string? then = null)
    {
        var script = $"echo \"attempt $JOBSCHEDULER_ATTEMPT\" >> '{Path.Combine(markers, id)}'" + (then is null ? "" : $"; {then}");
        return new { kind = "command", command = "sh", args = new[] { "-c", script } };
    }

    /// <summary>The lines the step's marker file holds (none when it never started).</summary>
    public static string[] MarkerLines(string markers, string stepId) =>
        File.Exists(Path.Combine(markers, stepId)) ? File.ReadAllLines(Path.Combine(markers, stepId)) : [];

    /// <summary>Triggers the DAG as a user does and returns the run's id (checking the 202 and its Location).</summary>
    public static async Task<string> TriggerAsync(ServerProcess server, string dagId)
    {
        using var response = await server.Http.PostAsync($"/api/dags/{dagId}/trigger", content: null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"POST /api/dags/{dagId}/trigger → {(int)response.StatusCode}: {text}");
        var run = await response.Content.ReadFromJsonAsync<JsonElement>();
        var runId = run.GetProperty("id").GetString()!;
        Assert.Equal($"/api/dag-runs/{runId}", response.Headers.Location?.ToString());
        return runId;
    }

    public static JsonElement Step(JsonElement run, string stepId) =>
        run.GetProperty("steps").EnumerateArray().Single(s => s.GetProperty("id").GetString() == stepId);

    public static string StateOf(JsonElement run, string stepId) => Step(run, stepId).GetProperty("state").GetString()!;

    public static string ExecutionIdOf(JsonElement run, string stepId) => Step(run, stepId).GetProperty("executionId").GetString()!;

    /// <summary>An instant to the millisecond: what a store keeps of it may be finer than that, never coarser.</summary>
    public static long Instant(JsonElement element, string property) => element.GetProperty(property).GetDateTimeOffset().ToUnixTimeMilliseconds();

    /// <summary>The outcome of each attempt; <c>none</c> for one still running.</summary>
    public static string[] Outcomes(JsonElement execution) =>
        [.. execution.GetProperty("attempts").EnumerateArray().Select(a => a.TryGetProperty("outcome", out var o) && o.GetString() is { } outcome ? outcome : "none")];
}
