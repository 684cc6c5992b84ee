using System.Net;
using System.Text.Json;
using static JobScheduler.Api.Tests.DagBodies;
using static JobScheduler.Api.Tests.DagRest;

namespace JobScheduler.Api.Tests;

/// <summary>
/// DAG schedules and their policies over real HTTP (docs/dags.md, Schedules: a job's rules): <c>once</c>, <c>cron</c>
/// with seconds, <c>concurrency</c> <c>forbid</c> and <c>replace</c> between runs, and a pause that does not replay the
/// instants it passed over. Each test waits for what it needs by one deadline, <see cref="Budget"/> after it starts, and
/// asserts order and instants rather than how fast things happened.
/// </summary>
public sealed class DagSchedulesApiTests(CommandsEnabledServer server) : IClassFixture<CommandsEnabledServer>
{
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(15);

    /// <summary>Every wait of the test ends by this instant (xunit builds the class anew for each test).</summary>
    private readonly DateTimeOffset _deadline = DateTimeOffset.UtcNow + Budget;

    private HttpClient Http => server.Http;

    [Fact]
    public async Task OnceDag_RunsExactlyOnceAtItsInstant_ThenIsCompleted()
    {
        var now = DateTimeOffset.UtcNow;
        var at = new DateTimeOffset(now.Ticks - now.Ticks % TimeSpan.TicksPerMillisecond, TimeSpan.Zero).AddSeconds(2);
        var put = await PutAsync("once-dag", $$"""{"schedule":{"kind":"once","at":"{{at:O}}"},"steps":[{{Noop("a")}},{{Noop("b", "a")}}]}""");
        Assert.Equal(at, put.GetProperty("nextFireAt").GetDateTimeOffset());

        var dag = await DagWhenAsync("once-dag", d => d.GetProperty("state").GetString() == "completed", "the once DAG to complete");
        var runs = await RunsWhenAsync("once-dag", r => r.Length > 0 && r.All(Finished), "its run to finish");

        var run = Assert.Single(runs);
        Assert.Equal("succeeded", run.GetProperty("state").GetString());
        Assert.Equal("schedule", run.GetProperty("trigger").GetString());
        Assert.Equal(at, run.GetProperty("scheduledAt").GetDateTimeOffset());
        Assert.True(run.GetProperty("startedAt").GetDateTimeOffset() >= at, $"the run started before its instant {at}: {run}");
        Assert.Equal(JsonValueKind.Null, dag.GetProperty("nextFireAt").ValueKind);
        Assert.Equal(at, dag.GetProperty("lastFireAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task CronDag_WithASecondsField_RunsOnEachOfItsInstants()
    {
        var put = await PutAsync("cron-dag", $$"""{"schedule":{"kind":"cron","expression":"*/2 * * * * *"},"steps":[{{Noop("a")}},{{Noop("b", "a")}}]}""");
        var first = put.GetProperty("nextFireAt").GetDateTimeOffset();

        var runs = await RunsWhenAsync("cron-dag", r => r.Count(Succeeded) >= 2, "two runs of the cron DAG");
        await PauseAsync("cron-dag");

        var instants = runs.Select(ScheduledAt).Order().ToArray();
        Assert.Equal(first, instants[0]);
        Assert.All(runs, r => Assert.Equal("schedule", r.GetProperty("trigger").GetString()));
        Assert.All(instants, i => Assert.True(i.Ticks % TimeSpan.TicksPerSecond == 0 && i.Second % 2 == 0, $"{i:O} is not an instant of */2 seconds"));
        // Every instant fires (concurrency allow, none late): consecutive runs are one period apart.
        Assert.All(instants.Zip(instants.Skip(1)), pair => Assert.Equal(TimeSpan.FromSeconds(2), pair.Second - pair.First));
        Assert.All(runs, r => Assert.True(r.GetProperty("startedAt").GetDateTimeOffset() >= ScheduledAt(r), $"a run started before its instant: {r}"));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task ForbidDag_AnInstantComingWhileARunGoesOn_IsSkipped_AndNoSecondRunStartsUntilItEnds()
    {
        // The step waits for a gate file the test creates, so that the first run is surely still going while instants pass
        // (or for its directory to go, should the test fail first).
        var markers = WritableDirectory();
        var gate = Path.Combine(markers, "gate");
        try
        {
            await PutAsync("forbid-dag", $$"""
                {"schedule":{"kind":"interval","every":"PT0.5S"},"concurrency":"forbid",
                 "steps":[{{Shell("work", $"while [ ! -e '{gate}' ] && [ -d '{markers}' ]; do sleep 0.05; done")}}]}
                """);
            var first = (await RunsWhenAsync("forbid-dag", r => r.Length > 0, "the first run")).Single();

            var dag = await DagWhenAsync("forbid-dag", d => d.GetProperty("skippedFires").GetInt64() >= 2, "two instants to be skipped while the first run goes on");
            var whileBlocked = await RunsAsync("forbid-dag");
            var only = Assert.Single(whileBlocked);
            Assert.Equal(first.GetProperty("id").GetString(), only.GetProperty("id").GetString());
            Assert.Equal("running", only.GetProperty("state").GetString());

            File.Create(gate).Dispose();
            await RunsWhenAsync("forbid-dag", r => r.Length >= 2 && r.All(Finished), "a second run, once the first ended");
            await PauseAsync("forbid-dag");
            var runs = await RunsWhenAsync("forbid-dag", r => r.All(Finished), "every run to finish after the pause");

            Assert.True(dag.GetProperty("skippedFires").GetInt64() >= 2);
            Assert.All(runs, r => Assert.Equal("succeeded", r.GetProperty("state").GetString()));
            AssertOneAtATime(runs);
        }
        finally
        {
            File.Create(gate).Dispose();
            Directory.Delete(markers, recursive: true);
        }
    }

    [Fact]
    public async Task ReplaceDag_AnInstantComingWhileARunGoesOn_CancelsThatRun_ThenStartsTheNextOne()
    {
        await PutAsync("replace-dag", $$"""
            {"schedule":{"kind":"interval","every":"PT1S"},"concurrency":"replace",
             "steps":[{{Shell("work", "sleep 30")}}]}
            """);

        // Nothing is cancelled by the test until the DAG is paused: a cancelled run here was replaced.
        var seen = await RunsWhenAsync("replace-dag", r => r.Length >= 2 && r.Any(x => x.GetProperty("state").GetString() == "cancelled"), "a run replaced by the next");
        await PauseAsync("replace-dag");
        var replaced = seen.Where(r => r.GetProperty("state").GetString() == "cancelled").MinBy(ScheduledAt);
        foreach (var running in (await RunsAsync("replace-dag")).Where(r => !Finished(r)))
        {
            await Http.SendJsonAsync(HttpMethod.Post, $"/api/dag-runs/{running.GetProperty("id").GetString()}/cancel", null);
        }
        var runs = await RunsWhenAsync("replace-dag", r => r.All(Finished), "every run to end after the pause");

        Assert.All(runs, r => Assert.Equal("schedule", r.GetProperty("trigger").GetString()));
        var run = await server.GetRunAsync(replaced.GetProperty("id").GetString()!);
        Assert.Equal("cancelled", StateOf(run, "work"));
        var execution = await (await Http.GetAsync($"/api/executions/{Step(run, "work").GetProperty("executionId").GetString()}")).JsonAsync();
        Assert.Equal("cancelled", execution.GetProperty("attempts")[0].GetProperty("outcome").GetString());
        Assert.Contains(runs, r => ScheduledAt(r) > ScheduledAt(replaced));
        // The replaced run had ended before its successor started: never two at once.
        AssertOneAtATime(runs);
    }

    [Fact]
    public async Task PausedDag_ResumedAfterItsInstantsPassed_DoesNotReplayThem()
    {
        // fireAll would replay every missed instant after downtime; a pause is not downtime: resuming plans from now.
        await PutAsync("paused-dag", $$"""{"schedule":{"kind":"interval","every":"PT0.5S"},"misfire":"fireAll","steps":[{{Noop("a")}}]}""");
        await RunsWhenAsync("paused-dag", r => r.Any(Succeeded), "a first run");

        var pausedAt = (await PauseAsync("paused-dag")).GetProperty("updatedAt").GetDateTimeOffset();
        await Task.Delay(TimeSpan.FromSeconds(2)); // four instants pass while paused
        var resumed = await (await Http.SendJsonAsync(HttpMethod.Post, "/api/dags/paused-dag/resume", null)).JsonAsync();
        var resumedAt = resumed.GetProperty("updatedAt").GetDateTimeOffset();
        Assert.Equal("active", resumed.GetProperty("state").GetString());
        Assert.True(resumed.GetProperty("nextFireAt").GetDateTimeOffset() >= resumedAt, $"resumed at {resumedAt:O}, next fire planned at {resumed.GetProperty("nextFireAt")}");

        await RunsWhenAsync("paused-dag", r => r.Any(x => ScheduledAt(x) > pausedAt && Succeeded(x)), "a run after the resume");
        await PauseAsync("paused-dag");
        var runs = await RunsWhenAsync("paused-dag", r => r.All(Finished), "every run to finish");

        var afterPause = runs.Where(r => ScheduledAt(r) > pausedAt).Select(ScheduledAt).ToArray();
        Assert.NotEmpty(afterPause);
        Assert.All(afterPause, i => Assert.True(i >= resumedAt, $"a run was scheduled at {i:O}, while the DAG was paused ({pausedAt:O} to {resumedAt:O})"));
    }

    /// <summary>Runs in order of their instants: each one had ended before the next started.</summary>
    private static void AssertOneAtATime(JsonElement[] runs)
    {
        var ordered = runs.OrderBy(ScheduledAt).ToArray();
        foreach (var (earlier, later) in ordered.Zip(ordered.Skip(1)))
        {
            Assert.True(later.GetProperty("startedAt").GetDateTimeOffset() >= earlier.GetProperty("finishedAt").GetDateTimeOffset(),
                $"run {later.GetProperty("id")} started at {later.GetProperty("startedAt")}, before {earlier.GetProperty("id")} ended at {earlier.GetProperty("finishedAt")}");
        }
    }

    private async Task<JsonElement> PutAsync(string id, string body)
    {
        using var response = await Http.SendJsonAsync(HttpMethod.Put, $"/api/dags/{id}", body);
        Assert.True(response.StatusCode is HttpStatusCode.Created, $"PUT /api/dags/{id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return await response.JsonAsync();
    }

    private async Task<JsonElement> PauseAsync(string id)
    {
        using var response = await Http.SendJsonAsync(HttpMethod.Post, $"/api/dags/{id}/pause", null);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var dag = await response.JsonAsync();
        Assert.Equal("paused", dag.GetProperty("state").GetString());
        return dag;
    }

    /// <summary>The DAG's runs, latest scheduled first.</summary>
    private async Task<JsonElement[]> RunsAsync(string id) =>
        [.. (await (await Http.GetAsync($"/api/dags/{id}/runs?limit=100")).JsonAsync()).GetProperty("items").EnumerateArray()];

    private async Task<JsonElement[]> RunsWhenAsync(string id, Func<JsonElement[], bool> condition, string what)
    {
        while (true)
        {
            var runs = await RunsAsync(id);
            if (condition(runs))
            {
                return runs;
            }
            Assert.True(DateTimeOffset.UtcNow < _deadline, $"no {what} within {Budget}: {JsonSerializer.Serialize(runs)}");
            await Task.Delay(50);
        }
    }

    private async Task<JsonElement> DagWhenAsync(string id, Func<JsonElement, bool> condition, string what)
    {
        while (true)
        {
            var dag = await (await Http.GetAsync($"/api/dags/{id}")).JsonAsync();
            if (condition(dag))
            {
                return dag;
            }
            Assert.True(DateTimeOffset.UtcNow < _deadline, $"no {what} within {Budget}: {dag}");
            await Task.Delay(50);
        }
    }

    private static DateTimeOffset ScheduledAt(JsonElement run) => run.GetProperty("scheduledAt").GetDateTimeOffset();

    private static bool Succeeded(JsonElement run) => run.GetProperty("state").GetString() == "succeeded";

    private static bool Finished(JsonElement run) => run.GetProperty("state").GetString() != "running";

    /// <summary>A new directory every account can write: a root server runs commands as nobody.</summary>
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    private static string WritableDirectory()
    {
        var directory = Directory.CreateTempSubdirectory("jobscheduler-dag-schedules-").FullName;
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_111_111);
        return directory;
    }
}
