using System.Text.Json;
using JobScheduler.Testing;

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>Three silo processes and a REST front door on one PostgreSQL; one silo killed with SIGKILL mid-run.</summary>
public sealed class ClusterTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    /// <summary>The longest the DAG test waits for anything once its processes are up.</summary>
    private static readonly TimeSpan RunPatience = TimeSpan.FromSeconds(60);

    private readonly PostgresDatabase _database = new();

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task SiloStoppedGracefully_DrainsFirst_ItsRunningAttemptFinishesThere()
    {
        await using var worker = ServerProcess.OnPostgres(_database.ConnectionString, "--JobScheduler:Role=Silo");
        await using var other = ServerProcess.OnPostgres(_database.ConnectionString, "--JobScheduler:Role=Silo");
        await using var api = ServerProcess.OnPostgres(_database.ConnectionString, "--JobScheduler:Role=Api");
        await worker.StartAsync();
        await api.StartAsync();
        var workerNode = (await api.EventuallyAsync(async () => await NodesAsync(api) is [var only] ? (JsonElement?)only : null, Patience, "the first node")).GetProperty("id").GetString()!;
        await api.SendJsonAsync(HttpMethod.Put, "/api/jobs/finish-me", new
        {
            schedule = new { kind = "manual" },
            action = new { kind = "command", command = "bash", args = new[] { "-c", "sleep 3; echo finished" } },
        });
        var run = (await api.SendJsonAsync(HttpMethod.Post, "/api/jobs/finish-me/trigger")).GetProperty("id").GetString()!;
        await api.EventuallyAsync(async () => (await api.GetJsonAsync($"/api/executions/{run}")).GetProperty("state").GetString() == "running" ? "ok" : null, Patience, "the run to start");
        await other.StartAsync();

        await worker.TerminateAsync(TimeSpan.FromSeconds(60));

        var done = await api.EventuallyAsync(async () => await api.GetJsonAsync($"/api/executions/{run}") is var e && e.GetProperty("state").GetString() == "succeeded" ? (JsonElement?)e : null, Patience, "the run to succeed");
        var attempt = Assert.Single(done.GetProperty("attempts").EnumerateArray());
        Assert.Equal(workerNode, attempt.GetProperty("node").GetString());
        Assert.Equal("finished\n", attempt.GetProperty("output").GetString());
    }

    /// <summary>
    /// A fan-out DAG (split → 20 parts of 3 s each → join) over three silos; once the parts run, a silo running some of
    /// them dies with them (SIGKILL of its process tree, a lost machine): the one running the most, or the one holding the
    /// run's grain. It may also have held the DAG, the ledger or some executions. The run still succeeds: every step once,
    /// the parts it ran re-run as lost elsewhere.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SiloKilledMidDagRun_TheRunSucceeds_EveryStepSucceedsOnce_LostPartsReRunElsewhere(bool victimHoldsTheRun)
    {
        var silos = Enumerable.Range(0, 3)
            .Select(_ => ServerProcess.OnPostgres(_database.ConnectionString, "--JobScheduler:Role=Silo", "--JobScheduler:Node:CpuMillis=2000", "--JobScheduler:Node:MemoryMb=4000"))
            .ToList();
        await using var api = ServerProcess.OnPostgres(_database.ConnectionString, "--JobScheduler:Role=Api");
        var markers = DagKillAndRestart.CreateMarkerDirectory();
        try
        {
            foreach (var silo in silos)
            {
                await silo.StartAsync();
            }
            await api.StartAsync();
            await api.EventuallyAsync(async () => (await NodesAsync(api)).Count(n => n.GetProperty("state").GetString() == "active") == 3 ? "ok" : null, RunPatience, "three active nodes");

            // Half a core each: twelve parts fit on the three nodes at once, the other eight wait for capacity.
            var parts = Enumerable.Range(0, 20).Select(i => $"part-{i:00}").ToArray();
            await api.SendJsonAsync(HttpMethod.Put, "/api/dags/fan", DagKillAndRestart.Manual(
            [
                DagKillAndRestart.MarkedStep("split", markers),
                .. parts.Select(id => DagKillAndRestart.MarkedStep(id, markers,
                    then: $"sleep 3; echo \"done $JOBSCHEDULER_ATTEMPT\" >> '{Path.Combine(markers, id)}.done'",
                    dependsOn: ["split"], resources: new { cpuMillis = 500, memoryMb = 50 })),
                DagKillAndRestart.MarkedStep("join", markers, dependsOn: parts),
            ]));
            var runId = await DagKillAndRestart.TriggerAsync(api, "fan");

            // The victim: the node with the most parts whose command has started (its marker written) and not ended, or the
            // silo where the run's grain lives (the one that logged its start) once it runs some.
            var runHost = victimHoldsTheRun
                ? (await api.EventuallyAsync(
                    () => Task.FromResult(silos.FirstOrDefault(s => File.ReadAllText(s.LogPath).Contains($"DAG run {runId} started", StringComparison.Ordinal))),
                    RunPatience, "the silo holding the run")).NodeId
                : null;
            var victimParts = await api.EventuallyAsync(() => PartsRunningOnOneNodeAsync(api, runId, parts, markers, runHost), RunPatience, "parts running");
            var downId = victimParts.Node;
            var victim = silos.Single(s => s.NodeId == downId);
            await victim.KillAsync(withItsCommands: true);
            var killedAt = DateTimeOffset.UtcNow;
            // Those that had not ended by then died with it (a part may have ended while the victim was being chosen).
            var orphaned = victimParts.Steps.Where(id => DagKillAndRestart.MarkerLines(markers, $"{id}.done").Length == 0).ToHashSet();
            Assert.NotEmpty(orphaned);

            var run = await api.EventuallyAsync(async () =>
                await api.GetJsonAsync($"/api/dag-runs/{runId}") is var r && r.GetProperty("state").GetString() != "running" ? (JsonElement?)r : null,
                RunPatience, "the run to finish after the silo died");
            Assert.Equal("succeeded", run.GetProperty("state").GetString());
            Assert.All(run.GetProperty("steps").EnumerateArray(), s => Assert.Equal("succeeded", s.GetProperty("state").GetString()));

            var rerunDelays = new List<TimeSpan>();
            foreach (var stepId in parts.Prepend("split").Append("join"))
            {
                var execution = await api.GetJsonAsync($"/api/executions/{DagKillAndRestart.ExecutionIdOf(run, stepId)}");
                var attempts = execution.GetProperty("attempts").EnumerateArray().ToArray();
                var outcomes = DagKillAndRestart.Outcomes(execution);
                // Succeeded once, by its last attempt, on a surviving node (or on the victim before it died); any attempt
                // before it was lost with the victim: it ran there, or it was placed elsewhere by an execution grain that
                // died with the victim before starting it. A command running on a surviving node is never called lost.
                var starts = DagKillAndRestart.MarkerLines(markers, stepId);
                Assert.Equal("succeeded", execution.GetProperty("state").GetString());
                Assert.Equal([.. Enumerable.Repeat("lost", attempts.Length - 1), "succeeded"], outcomes);
                Assert.All(attempts[..^1], a => Assert.True(
                    a.GetProperty("node").GetString() == downId || !starts.Contains($"attempt {a.GetProperty("number").GetInt32()}"),
                    $"{stepId} lost an attempt whose command ran on a node that was not killed ({downId} was); it started [{string.Join(", ", starts)}]: {execution}"));
                Assert.True(attempts[^1].GetProperty("node").GetString() != downId || attempts[^1].GetProperty("finishedAt").GetDateTimeOffset() < killedAt,
                    $"{stepId} succeeded on the killed node {downId} after it was killed at {killedAt:O}: {execution}");
                if (orphaned.Contains(stepId))
                {
                    Assert.Equal(["lost", "succeeded"], outcomes);
                    rerunDelays.Add(attempts[1].GetProperty("startedAt").GetDateTimeOffset() - killedAt);
                }
                // Every start the step's command made is an attempt the scheduler recorded (a lost one may have died before
                // its command's first line), the last one started, and only one ran to its end.
                Assert.Equal(starts.Length, starts.Distinct().Count());
                Assert.Subset(attempts.Select(a => $"attempt {a.GetProperty("number").GetInt32()}").ToHashSet(), starts.ToHashSet());
                Assert.Equal($"attempt {attempts.Length}", starts[^1]);
                if (stepId.StartsWith("part-", StringComparison.Ordinal))
                {
                    // A lost attempt's command may have reached its end just as its node died (at least once), never a
                    // second succeeded one.
                    var ends = DagKillAndRestart.MarkerLines(markers, $"{stepId}.done");
                    Assert.Equal($"done {attempts.Length}", ends[^1]);
                    Assert.All(ends[..^1], line => Assert.Contains(line, attempts[..^1].Select(a => $"done {a.GetProperty("number").GetInt32()}")));
                }
            }
            Assert.NotEmpty(rerunDelays);
            Assert.All(rerunDelays, d => Assert.True(d < TimeSpan.FromSeconds(30), $"a lost part was re-run {d} after the kill"));
            Console.WriteLine($"Lost parts re-ran {string.Join(", ", rerunDelays.Select(d => $"{d.TotalSeconds:0.0} s"))} after the SIGKILL.");

            var joinStarted = DagKillAndRestart.Step(run, "join").GetProperty("startedAt").GetDateTimeOffset();
            Assert.All(parts, id => Assert.True(joinStarted >= DagKillAndRestart.Step(run, id).GetProperty("finishedAt").GetDateTimeOffset(), $"join started before {id} finished"));
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
            Directory.Delete(markers, recursive: true);
        }
    }

    private sealed record PartsOnNode(string Node, string[] Steps);

    /// <summary>
    /// The node (<paramref name="onlyNode"/>, or any) running the most of <paramref name="parts"/> whose command has
    /// started and not ended (by their markers), with those parts; null while none runs.
    /// </summary>
    private static async Task<PartsOnNode?> PartsRunningOnOneNodeAsync(ServerProcess api, string runId, string[] parts, string markers, string? onlyNode)
    {
        var run = await api.GetJsonAsync($"/api/dag-runs/{runId}");
        var running = new List<(string Node, string Step)>();
        foreach (var id in parts.Where(id => DagKillAndRestart.StateOf(run, id) == "running"
            && DagKillAndRestart.MarkerLines(markers, id).Length == 1 && DagKillAndRestart.MarkerLines(markers, $"{id}.done").Length == 0))
        {
            var execution = await api.GetJsonAsync($"/api/executions/{DagKillAndRestart.ExecutionIdOf(run, id)}");
            if (DagKillAndRestart.Outcomes(execution) is ["none"])
            {
                running.Add((execution.GetProperty("attempts")[0].GetProperty("node").GetString()!, id));
            }
        }
        return running.Where(p => onlyNode is null || p.Node == onlyNode).GroupBy(p => p.Node).OrderByDescending(g => g.Count()).FirstOrDefault() is { } most
            ? new PartsOnNode(most.Key, [.. most.Select(p => p.Step)])
            : null;
    }

    private static async Task<JsonElement[]> NodesAsync(ServerProcess api) =>
        [.. (await api.GetJsonAsync("/api/nodes")).GetProperty("items").EnumerateArray()];

    // The first silo to start usually hosts the capacity ledger too, so killing it also moves the ledger.
    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    public async Task SiloKilledMidRun_ItsAttemptsRunElsewhere_NothingIsLostOrRunTwice(int victimIndex)
    {
        var silos = Enumerable.Range(0, 3)
            .Select(_ => ServerProcess.OnPostgres(_database.ConnectionString, "--JobScheduler:Role=Silo", "--JobScheduler:Node:CpuMillis=2000", "--JobScheduler:Node:MemoryMb=4000"))
            .ToList();
        await using var api = ServerProcess.OnPostgres(_database.ConnectionString, "--JobScheduler:Role=Api");
        try
        {
            foreach (var silo in silos)
            {
                await silo.StartAsync();
            }
            await api.StartAsync();
            await api.EventuallyAsync(async () => (await NodesAsync(api)).Count(n => n.GetProperty("state").GetString() == "active") == 3 ? "ok" : null, Patience, "three active nodes");

            // Six attempts of one core each fill the three nodes; a cron job fires every second throughout.
            await api.SendJsonAsync(HttpMethod.Put, "/api/jobs/work", new
            {
                schedule = new { kind = "manual" },
                action = new { kind = "command", command = "bash", args = new[] { "-c", "sleep 8; echo done on attempt $JOBSCHEDULER_ATTEMPT" } },
                resources = new { cpuMillis = 1000, memoryMb = 100 },
            });
            await api.SendJsonAsync(HttpMethod.Put, "/api/jobs/tick", new { schedule = new { kind = "cron", expression = "* * * * * *" }, action = new { kind = "handler", handler = "noop" } });
            var runs = new List<string>();
            for (var i = 0; i < 6; i++)
            {
                runs.Add((await api.SendJsonAsync(HttpMethod.Post, "/api/jobs/work/trigger")).GetProperty("id").GetString()!);
            }
            var nodes = await api.EventuallyAsync(async () => await NodesAsync(api) is var all && all.All(n => n.GetProperty("running").GetArrayLength() == 2) ? all : null, Patience, "two attempts on every node");
            Assert.All(nodes, n => Assert.Equal(2000, n.GetProperty("reservedCpuMillis").GetInt32()));

            var victim = silos[victimIndex];
            var victimNode = await victim.GetJsonAsync("/health/ready"); // proves it is up before the kill
            Assert.Equal("Healthy", victimNode.GetProperty("status").GetString());
            var before = await NodesAsync(api);
            await victim.KillAsync();
            var killedAt = DateTimeOffset.UtcNow;

            // Its node goes down; every execution still finishes, the ones it ran after one lost attempt.
            var down = await api.EventuallyAsync(async () => (await NodesAsync(api)).FirstOrDefault(n => n.GetProperty("state").GetString() == "down") is { ValueKind: JsonValueKind.Object } node ? (JsonElement?)node : null, Patience, "the killed node to show as down");
            var downId = down.GetProperty("id").GetString()!;
            var orphaned = before.Single(n => n.GetProperty("id").GetString() == downId).GetProperty("running").EnumerateArray().Select(e => e.GetString()!).ToHashSet();
            // Normally both of its attempts; fewer only if one finished before the kill on a very slow machine.
            Assert.NotEmpty(orphaned);

            var finished = new List<JsonElement>();
            foreach (var id in runs)
            {
                finished.Add(await api.EventuallyAsync(async () => await api.GetJsonAsync($"/api/executions/{id}") is var e && e.GetProperty("state").GetString() == "succeeded" ? (JsonElement?)e : null, Patience, $"{id} to succeed"));
            }
            var rerunDelays = new List<TimeSpan>();
            foreach (var execution in finished)
            {
                var attempts = execution.GetProperty("attempts").EnumerateArray().ToArray();
                if (orphaned.Contains(execution.GetProperty("id").GetString()!))
                {
                    Assert.Equal(["lost", "succeeded"], attempts.Select(a => a.GetProperty("outcome").GetString()));
                    Assert.Equal(downId, attempts[0].GetProperty("node").GetString());
                    Assert.NotEqual(downId, attempts[1].GetProperty("node").GetString());
                    rerunDelays.Add(attempts[1].GetProperty("startedAt").GetDateTimeOffset() - killedAt);
                }
                else
                {
                    Assert.Equal(["succeeded"], attempts.Select(a => a.GetProperty("outcome").GetString()));
                }
            }
            Assert.All(rerunDelays, d => Assert.True(d < TimeSpan.FromSeconds(30), $"a lost attempt was re-run {d} after the kill"));
            Console.WriteLine($"Lost attempts re-ran {string.Join(", ", rerunDelays.Select(d => $"{d.TotalSeconds:0.0} s"))} after the SIGKILL.");

            // The cron job kept firing across the failover, never twice for the same instant.
            await api.EventuallyAsync(async () => (await api.GetJsonAsync("/api/jobs/tick/executions?limit=500")).GetProperty("items").EnumerateArray().Any(e => e.GetProperty("scheduledAt").GetDateTimeOffset() > killedAt.AddSeconds(5)) ? "ok" : null, Patience, "ticks after the failover");
            var ticks = (await api.GetJsonAsync("/api/jobs/tick/executions?limit=500")).GetProperty("items").EnumerateArray().ToArray();
            Assert.Equal(ticks.Length, ticks.Select(t => t.GetProperty("scheduledAt").GetDateTimeOffset()).Distinct().Count());
            Assert.All(ticks.Where(t => t.GetProperty("state").GetString() == "succeeded"),
                t => Assert.Single(t.GetProperty("attempts").EnumerateArray(), a => a.GetProperty("outcome").GetString() == "succeeded"));
        }
        finally
        {
            foreach (var silo in silos)
            {
                await silo.DisposeAsync();
            }
        }
    }
}
