using System.Net;
using System.Text.Json;
using JobScheduler.Core.Dags;
using static JobScheduler.Api.Tests.DagBodies;

namespace JobScheduler.Api.Tests;

/// <summary><c>/api/dags</c> over real HTTP: definitions, what is refused, triggers and the run list.</summary>
public sealed class DagsApiTests(CommandsEnabledServer server) : IClassFixture<CommandsEnabledServer>
{
    private HttpClient Http => server.Http;

    [Fact]
    public async Task OpenApiDocument_ListsTheDagRoutes()
    {
        var paths = (await (await Http.GetAsync("/openapi/v1.json")).JsonAsync()).GetProperty("paths");

        // Every DAG route a client can call (docs/dags.md, "Operations"), with its methods and nothing else.
        var expected = new Dictionary<string, string[]>
        {
            ["/api/dags"] = ["get"],
            ["/api/dags/{id}"] = ["delete", "get", "put"],
            ["/api/dags/{id}/pause"] = ["post"],
            ["/api/dags/{id}/resume"] = ["post"],
            ["/api/dags/{id}/trigger"] = ["post"],
            ["/api/dags/{id}/runs"] = ["get"],
            ["/api/dag-runs/{runId}"] = ["get"],
            ["/api/dag-runs/{runId}/cancel"] = ["post"],
            ["/api/dag-runs/{runId}/retry"] = ["post"],
        };
        var documented = paths.EnumerateObject()
            .Where(p => p.Name.StartsWith("/api/dags", StringComparison.Ordinal) || p.Name.StartsWith("/api/dag-runs", StringComparison.Ordinal))
            .Select(p => $"{p.Name} {string.Join(' ', p.Value.EnumerateObject().Select(o => o.Name).Where(IsHttpMethod).Order())}");
        Assert.Equal(expected.Select(e => $"{e.Key} {string.Join(' ', e.Value)}").Order(), documented.Order());

        // Steps not started become cancelled, not skipped: the summary says what the run will show.
        var cancel = paths.GetProperty("/api/dag-runs/{runId}/cancel").GetProperty("post").GetProperty("summary").GetString();
        Assert.Contains("cancelled", cancel, StringComparison.Ordinal);
        Assert.DoesNotContain("skip", cancel, StringComparison.OrdinalIgnoreCase);

        static bool IsHttpMethod(string name) => name is "get" or "put" or "post" or "delete" or "patch";
    }

    [Fact]
    public async Task PutDag_CreatesThenReplaces_AndGetShowsItsStepsAndOwner()
    {
        var body = Manual(Noop("extract"), Noop("load", "extract"));

        var created = await Http.SendJsonAsync(HttpMethod.Put, "/api/dags/put-etl", body, user: "alice");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/dags/put-etl", created.Headers.Location?.ToString());

        var dag = await (await Http.GetAsync("/api/dags/put-etl")).JsonAsync();
        Assert.Equal("alice", dag.GetProperty("owner").GetString());
        Assert.Equal("active", dag.GetProperty("state").GetString());
        Assert.Equal(["extract", "load"], dag.GetProperty("steps").EnumerateArray().Select(s => s.GetProperty("id").GetString()));
        Assert.Equal(JsonValueKind.Null, dag.GetProperty("nextFireAt").ValueKind);

        var replaced = await Http.SendJsonAsync(HttpMethod.Put, "/api/dags/put-etl", Manual(Noop("extract"), Noop("load", "extract"), Noop("notify", "load")), user: "alice");
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal(3, (await replaced.JsonAsync()).GetProperty("steps").GetArrayLength());
    }

    [Fact]
    public async Task Cycle_IsRefusedNamingTheCycle_AndNothingIsStored()
    {
        var body = Manual(Noop("a", "c"), Noop("b", "a"), Noop("c", "b"));

        var response = await Http.SendJsonAsync(HttpMethod.Put, "/api/dags/cyclic", body);
        var problem = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("a → b → c → a", problem.GetProperty("detail").GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/dags/cyclic")).StatusCode);
    }

    public static TheoryData<string, int, string> BadDags => new()
    {
        { Manual(Noop("a"), Noop("b", "nope")), 422, "steps[1].dependsOn[0]" },
        { Manual(Noop("a"), Noop("a")), 422, "steps[1].id" },
        { Manual(Step("a", """{"kind":"handler","handler":"no-such-handler"}""")), 422, "steps[0].action.handler" },
        { Manual(Step("a", """{"kind":"teleport"}""")), 400, "steps[0].action.kind" },
        { Manual(Noop("a b")), 422, "steps[0].id" },
        { Manual(Noop("a", "a")), 422, "steps[0].dependsOn[0]" },
        { Manual(With(Noop("a"), "\"condition\":\"sometimes\"")), 400, "steps[0].condition" },
        { Manual(With(Noop("a"), "\"colour\":\"red\"")), 400, "steps[0].colour" },
        { Manual(With(Noop("a"), "\"waitFor\":{\"job\":\"x\",\"dag\":\"y\"}")), 422, "steps[0].waitFor" },
        { Manual(With(Noop("a"), "\"timeout\":\"PT0S\"")), 422, "steps[0].timeout" },
        { """{"schedule":{"kind":"manual"},"steps":[]}""", 422, "steps" },
        { """{"schedule":{"kind":"manual"}}""", 422, "steps" },
        { """{"schedule":{"kind":"cron","expression":"61 * * * *"},"steps":[{"id":"a","action":{"kind":"handler","handler":"noop"}}]}""", 422, "schedule.expression" },
        { Manual(Noop("a")).Replace("\"steps\"", "\"colour\":1,\"steps\"", StringComparison.Ordinal), 400, "colour" },
        { "", 400, "body" },
    };

    [Theory]
    [MemberData(nameof(BadDags))]
    public async Task BadDag_GetsAProblemNamingTheField_AndStoresNothing(string body, int status, string field)
    {
        var id = $"bad-dag-{Guid.NewGuid():n}";
        var response = await Http.SendJsonAsync(HttpMethod.Put, $"/api/dags/{id}", body);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), $"no error for '{field}' in {problem}");
        Assert.False(string.IsNullOrEmpty(messages[0].GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"/api/dags/{id}")).StatusCode);
    }

    [Fact]
    public async Task TooManySteps_AreRefusedNamingSteps()
    {
        var steps = Enumerable.Range(0, TooManySteps).Select(i => Noop($"s{i}")).ToArray();

        var response = await Http.SendJsonAsync(HttpMethod.Put, "/api/dags/huge-dag", Manual(steps));
        var problem = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty("steps", out _), problem.ToString());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/dags/huge-dag")).StatusCode);
    }

    /// <summary>One more than a DAG may have on a server with the default <c>JobScheduler:MaxDagSteps</c>.</summary>
    private const int TooManySteps = DagSpecValidator.DefaultMaxSteps + 1;

    [Fact]
    public async Task BadReplacement_LeavesTheStoredDagUnchanged()
    {
        await server.PutDagAsync("keep-dag", Manual(Noop("a"), Noop("b", "a")));
        var before = await (await Http.GetAsync("/api/dags/keep-dag")).JsonAsync();

        var response = await Http.SendJsonAsync(HttpMethod.Put, "/api/dags/keep-dag", Manual(Noop("a", "b"), Noop("b", "a")));
        var after = await (await Http.GetAsync("/api/dags/keep-dag")).JsonAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(before.GetRawText(), after.GetRawText());
    }

    [Fact]
    public async Task UnknownDag_Is404Everywhere()
    {
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/dags/no-such-dag")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.DeleteAsync("/api/dags/no-such-dag")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.SendJsonAsync(HttpMethod.Post, "/api/dags/no-such-dag/pause", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.SendJsonAsync(HttpMethod.Post, "/api/dags/no-such-dag/resume", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/dags/no-such-dag/runs")).StatusCode);
        var trigger = await Http.SendJsonAsync(HttpMethod.Post, "/api/dags/no-such-dag/trigger", null);
        Assert.Equal(HttpStatusCode.NotFound, trigger.StatusCode);
        Assert.Equal("application/problem+json", trigger.Content.Headers.ContentType?.MediaType);
        Assert.Equal("There is no DAG with id 'no-such-dag'.", (await trigger.JsonAsync()).GetProperty("detail").GetString());

        const string run = "no-such-dag@20260101T000000.0000000Z";
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"/api/dag-runs/{run}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.SendJsonAsync(HttpMethod.Post, $"/api/dag-runs/{run}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.SendJsonAsync(HttpMethod.Post, $"/api/dag-runs/{run}/retry", null)).StatusCode);
    }

    [Fact]
    public async Task PauseResumeDelete_ChangeTheDagAsShown()
    {
        var body = """{"schedule":{"kind":"interval","every":"PT1H"},"steps":[{"id":"a","action":{"kind":"handler","handler":"noop"}}]}""";
        await server.PutDagAsync("dag-lifecycle", body);

        var paused = await (await Http.SendJsonAsync(HttpMethod.Post, "/api/dags/dag-lifecycle/pause", null)).JsonAsync();
        Assert.Equal("paused", paused.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, paused.GetProperty("nextFireAt").ValueKind);

        var resumed = await (await Http.SendJsonAsync(HttpMethod.Post, "/api/dags/dag-lifecycle/resume", null)).JsonAsync();
        Assert.Equal("active", resumed.GetProperty("state").GetString());
        Assert.True(resumed.GetProperty("nextFireAt").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddMinutes(50));

        Assert.Equal(HttpStatusCode.NoContent, (await Http.DeleteAsync("/api/dags/dag-lifecycle")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/dags/dag-lifecycle")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.DeleteAsync("/api/dags/dag-lifecycle")).StatusCode);
    }

    [Fact]
    public async Task ListDags_FiltersByOwnerStateAndTag_AndPagesWithACursor()
    {
        for (var i = 0; i < 5; i++)
        {
            var body = $$$"""{"schedule":{"kind":"manual"},"tags":{"env":"{{{(i % 2 == 0 ? "prod" : "dev")}}}"},"steps":[{"id":"a","action":{"kind":"handler","handler":"noop"}}]}""";
            await server.PutDagAsync($"dag-pager-{i}", body, user: "dag-pager");
        }
        await server.PutDagAsync("dag-not-pager", Manual(Noop("a")), user: "someone-else");
        await Http.SendJsonAsync(HttpMethod.Post, "/api/dags/dag-pager-4/pause", null);

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await (await Http.GetAsync($"/api/dags?owner=dag-pager&limit=2{(cursor is null ? "" : $"&cursor={cursor}")}")).JsonAsync();
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()!));
            cursor = page.GetProperty("next").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"dag-pager-{i}"), seen);
        var prod = await (await Http.GetAsync("/api/dags?owner=dag-pager&tag=env:prod")).JsonAsync();
        Assert.Equal(["dag-pager-0", "dag-pager-2", "dag-pager-4"], prod.GetProperty("items").EnumerateArray().Select(d => d.GetProperty("id").GetString()));
        var paused = await (await Http.GetAsync("/api/dags?owner=dag-pager&state=paused")).JsonAsync();
        Assert.Equal("dag-pager-4", paused.GetProperty("items").EnumerateArray().Single().GetProperty("id").GetString());
    }

    [Theory]
    [InlineData("/api/dags?state=sleeping", "state")]
    [InlineData("/api/dags?limit=0", "limit")]
    [InlineData("/api/dags?cursor=%%%", "cursor")]
    [InlineData("/api/dags/query-dag/runs?state=exploded", "state")]
    [InlineData("/api/dags/query-dag/runs?from=yesterday", "from")]
    [InlineData("/api/dags/query-dag/runs?limit=501", "limit")]
    public async Task BadQuery_GetsAProblemNamingTheParameter(string url, string field)
    {
        await server.PutDagAsync("query-dag", Manual(Noop("a")));

        var response = await Http.GetAsync(url);
        var problem = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task TriggerRetriedWithTheSameIdempotencyKey_StartsOneRun()
    {
        await server.PutDagAsync("dag-retried", Manual(Noop("a")));

        var first = await server.TriggerDagAsync("dag-retried", idempotencyKey: "order-42");
        var retried = await server.TriggerDagAsync("dag-retried", idempotencyKey: "order-42");
        var other = await server.TriggerDagAsync("dag-retried", idempotencyKey: "order-43");
        using var bad = new HttpRequestMessage(HttpMethod.Post, "/api/dags/dag-retried/trigger");
        bad.Headers.Add("Idempotency-Key", new string('k', 201));
        using var refused = await Http.SendAsync(bad);

        Assert.Equal(first, retried);
        Assert.NotEqual(first, other);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, refused.StatusCode);
        Assert.True((await refused.JsonAsync()).GetProperty("errors").TryGetProperty("Idempotency-Key", out _));
        await server.WaitForRunAsync(first);
        await server.WaitForRunAsync(other);
        var runs = await (await Http.GetAsync("/api/dags/dag-retried/runs")).JsonAsync();
        Assert.Equal(2, runs.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task TriggerWithParameters_EveryStepSeesThem_AndTheRunShowsThem()
    {
        await server.PutDagAsync("dag-params", Manual(
            Shell("check", """test "$JOBSCHEDULER_PARAM_DAY" = 2026-01-31"""),
            Shell("again", """test "$JOBSCHEDULER_PARAM_DAY" = 2026-01-31""", "check")));

        var runId = await server.TriggerDagAsync("dag-params", """{"parameters":{"day":"2026-01-31"}}""");
        var run = await server.WaitForRunAsync(runId);

        Assert.Equal("succeeded", run.GetProperty("state").GetString());
        Assert.Equal("manual", run.GetProperty("trigger").GetString());
        Assert.Equal("2026-01-31", run.GetProperty("parameters").GetProperty("day").GetString());
        Assert.Equal("succeeded", DagRest.StateOf(run, "again"));
    }

    [Fact]
    public async Task TriggerWithAnUnknownField_IsRefusedNamingIt()
    {
        await server.PutDagAsync("dag-trigger-field", Manual(Noop("a")));

        var response = await Http.SendJsonAsync(HttpMethod.Post, "/api/dags/dag-trigger-field/trigger", """{"params":{"day":"1"}}""");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty("params", out _));
        Assert.Empty((await (await Http.GetAsync("/api/dags/dag-trigger-field/runs")).JsonAsync()).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task ListRuns_LatestFirst_FilteredByState_AndPagedWithACursor()
    {
        await server.PutDagAsync("dag-run-pager", Manual(Noop("a")));
        var runIds = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            runIds.Add(await server.TriggerDagAsync("dag-run-pager"));
            await server.WaitForRunAsync(runIds[^1]);
        }

        var first = await (await Http.GetAsync("/api/dags/dag-run-pager/runs?limit=2")).JsonAsync();
        var cursor = first.GetProperty("next").GetString();
        var second = await (await Http.GetAsync($"/api/dags/dag-run-pager/runs?limit=2&cursor={Uri.EscapeDataString(cursor!)}")).JsonAsync();

        var seen = first.GetProperty("items").EnumerateArray().Concat(second.GetProperty("items").EnumerateArray()).Select(r => r.GetProperty("id").GetString()).ToArray();
        Assert.Equal(Enumerable.Reverse(runIds), seen);
        Assert.Equal(JsonValueKind.Null, second.GetProperty("next").ValueKind);
        var succeeded = await (await Http.GetAsync("/api/dags/dag-run-pager/runs?state=succeeded")).JsonAsync();
        Assert.Equal(3, succeeded.GetProperty("items").GetArrayLength());
        var failed = await (await Http.GetAsync("/api/dags/dag-run-pager/runs?state=failed")).JsonAsync();
        Assert.Equal(0, failed.GetProperty("items").GetArrayLength());
        var future = await (await Http.GetAsync($"/api/dags/dag-run-pager/runs?from={Uri.EscapeDataString(DateTimeOffset.UtcNow.AddMinutes(1).ToString("O"))}")).JsonAsync();
        Assert.Equal(0, future.GetProperty("items").GetArrayLength());
    }
}
