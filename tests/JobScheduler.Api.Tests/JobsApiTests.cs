using JobScheduler.Testing;
using System.Net;
using System.Text.Json;

namespace JobScheduler.Api.Tests;

/// <summary>The REST API over real HTTP against the running server, used the way the README shows.</summary>
public sealed class JobsApiTests(CommandsEnabledServer server) : IClassFixture<CommandsEnabledServer>
{
    private HttpClient Http => server.Http;

    [Fact]
    public async Task HealthReady_SaysStorageIsDurableAndWhereTheDataLives()
    {
        var response = await Http.GetAsync("/health/ready");
        var body = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", body.GetProperty("status").GetString());
        Assert.Equal("sqlite", body.GetProperty("storage").GetString());
        Assert.True(body.GetProperty("durable").GetBoolean());
        Assert.Equal(server.DatabasePath, body.GetProperty("data").GetString());
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/health/live")).StatusCode);
    }

    [Fact]
    public async Task OpenApiDocument_ListsTheJobRoutes()
    {
        var body = await (await Http.GetAsync("/openapi/v1.json")).JsonAsync();
        var paths = body.GetProperty("paths");

        Assert.True(paths.TryGetProperty("/api/jobs/{id}", out _));
        Assert.True(paths.TryGetProperty("/api/executions/{id}/cancel", out _));
    }

    [Fact]
    public async Task PutCronJob_CreatesThenReplaces_AndGetShowsNextFireAt()
    {
        const string body = """
            {"schedule":{"kind":"cron","expression":"0 9 * * 1-5","timeZone":"Europe/London"},
             "action":{"kind":"command","command":"echo","args":["hello"]},
             "tags":{"team":"billing"}}
            """;
        var created = await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/weekday-report", body, user: "alice");
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal("/api/jobs/weekday-report", created.Headers.Location?.ToString());

        var job = await (await Http.GetAsync("/api/jobs/weekday-report")).JsonAsync();
        Assert.Equal("alice", job.GetProperty("owner").GetString());
        Assert.Equal("active", job.GetProperty("state").GetString());
        var next = job.GetProperty("nextFireAt").GetDateTimeOffset();
        Assert.True(next > DateTimeOffset.UtcNow);
        Assert.Contains(next.ToUniversalTime().Hour, new[] { 8, 9 });

        var replaced = await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/weekday-report", body.Replace("0 9", "30 17", StringComparison.Ordinal), user: "alice");
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.Equal(30, (await replaced.JsonAsync()).GetProperty("nextFireAt").GetDateTimeOffset().Minute);
    }

    [Fact]
    public async Task PostJob_GeneratesAnId_AndReturnsItsLocation()
    {
        var response = await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"}}""");
        var job = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var id = job.GetProperty("id").GetString();
        Assert.False(string.IsNullOrEmpty(id));
        Assert.Equal($"/api/jobs/{id}", response.Headers.Location?.ToString());
        Assert.Equal(TestLogin.Admin, job.GetProperty("owner").GetString());
        Assert.Equal(JsonValueKind.Null, job.GetProperty("nextFireAt").ValueKind);
    }

    [Theory]
    [InlineData("""{"schedule":{"kind":"cron","expression":"61 * * * *"},"action":{"kind":"handler","handler":"noop"}}""", 422, "schedule.expression")]
    [InlineData("""{"schedule":{"kind":"cron","expression":"* * *"},"action":{"kind":"handler","handler":"noop"}}""", 422, "schedule.expression")]
    [InlineData("""{"schedule":{"kind":"cron","expression":"0 9 * * *","timeZone":"Mars/Olympus"},"action":{"kind":"handler","handler":"noop"}}""", 422, "schedule.timeZone")]
    [InlineData("""{"schedule":{"kind":"interval","every":"PT0S"},"action":{"kind":"handler","handler":"noop"}}""", 422, "schedule.every")]
    [InlineData("""{"schedule":{"kind":"interval","every":"-PT5S"},"action":{"kind":"handler","handler":"noop"}}""", 422, "schedule.every")]
    [InlineData("""{"schedule":{"kind":"interval","every":"soon"},"action":{"kind":"handler","handler":"noop"}}""", 400, "schedule.every")]
    [InlineData("""{"schedule":{"kind":"once","at":"2030-01-01T00:00:00Z"},"action":{"kind":"teleport"}}""", 400, "action.kind")]
    [InlineData("""{"schedule":{"kind":"once","at":"2030-01-01T00:00:00Z"},"action":{"kind":"handler","handler":"nope"}}""", 422, "action.handler")]
    [InlineData("""{"schedule":{"kind":"once"},"action":{"kind":"handler","handler":"noop"}}""", 422, "schedule.at")]
    [InlineData("""{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"},"priority":12}""", 422, "priority")]
    [InlineData("""{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"},"retry":{"maxAttempts":0}}""", 422, "retry.maxAttempts")]
    [InlineData("""{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"},"colour":"red"}""", 400, "colour")]
    [InlineData("""{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"},"timeout":"PT0S"}""", 422, "timeout")]
    [InlineData("""{"schedule":{"kind":"manual"},"action":""", 400, "action")]
    [InlineData("""{"action":{"kind":"handler","handler":"noop"}}""", 422, "schedule")]
    [InlineData("", 400, "body")]
    public async Task BadInput_GetsAProblemNamingTheField_AndStoresNothing(string body, int status, string field)
    {
        var id = $"bad-{Guid.NewGuid():n}";
        var response = await Http.SendJsonAsync(HttpMethod.Put, $"/api/jobs/{id}", body);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), $"no error for '{field}' in {problem}");
        Assert.False(string.IsNullOrEmpty(messages[0].GetString()));
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"/api/jobs/{id}")).StatusCode);
    }

    [Fact]
    public async Task BadReplacement_LeavesTheStoredJobUnchanged()
    {
        const string good = """{"schedule":{"kind":"interval","every":"PT1H"},"action":{"kind":"handler","handler":"noop"}}""";
        await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/keep-me", good);
        var before = await (await Http.GetAsync("/api/jobs/keep-me")).JsonAsync();

        var response = await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/keep-me", """{"schedule":{"kind":"cron","expression":"nope"},"action":{"kind":"handler","handler":"noop"}}""");
        var after = await (await Http.GetAsync("/api/jobs/keep-me")).JsonAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Equal(before.GetRawText(), after.GetRawText());
    }

    [Fact]
    public async Task CommandGivenAsARelativePath_IsRefused_NamingActionCommand()
    {
        var response = await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/climber",
            """{"schedule":{"kind":"manual"},"action":{"kind":"command","command":"../../bin/sh","args":["-c","id"]}}""");
        var problem = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.Contains("relative path", problem.GetProperty("errors").GetProperty("action.command")[0].GetString());
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/jobs/climber")).StatusCode);
    }

    [Fact]
    public async Task InvalidJobId_IsRejected()
    {
        var response = await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/-leading-dash", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"}}""");
        var problem = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty("id", out _));
    }

    [Fact]
    public async Task OnceCommandJob_RunsOnTime_AndKeepsItsOutput()
    {
        var at = DateTimeOffset.UtcNow.AddMilliseconds(700);
        var body = $$$"""
            {"schedule":{"kind":"once","at":"{{{at:O}}}"},
             "action":{"kind":"command","command":"bash","args":["-c","echo started $JOBSCHEDULER_JOB_ID"]}}
            """;
        Assert.Equal(HttpStatusCode.Created, (await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/once-output", body)).StatusCode);

        var done = await server.Sdk.WaitForCompletionAsync(ExecutionId.For("once-output", at));
        var execution = await (await Http.GetAsync($"/api/executions/{done.Id}")).JsonAsync();

        Assert.Equal("succeeded", execution.GetProperty("state").GetString());
        var attempt = execution.GetProperty("attempts")[0];
        Assert.Equal("started once-output\n", attempt.GetProperty("output").GetString());
        Assert.Equal(0, attempt.GetProperty("exitCode").GetInt32());
        Assert.True(attempt.GetProperty("startedAt").GetDateTimeOffset() >= at);
        var job = await (await Http.GetAsync("/api/jobs/once-output")).JsonAsync();
        Assert.Equal("completed", job.GetProperty("state").GetString());
    }

    [Fact]
    public async Task FailingCommand_IsRetried_AndEveryAttemptIsListed()
    {
        const string body = """
            {"schedule":{"kind":"manual"},
             "action":{"kind":"command","command":"bash","args":["-c","echo attempt $JOBSCHEDULER_ATTEMPT; exit 7"]},
             "retry":{"maxAttempts":3,"initialBackoff":"PT0.1S","maxBackoff":"PT1S","multiplier":2,"jitter":0}}
            """;
        await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/always-fails", body);
        var trigger = await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/always-fails/trigger", null);
        Assert.Equal(HttpStatusCode.Accepted, trigger.StatusCode);
        var executionId = (await trigger.JsonAsync()).GetProperty("id").GetString()!;
        Assert.Equal($"/api/executions/{executionId}", trigger.Headers.Location?.ToString());

        await server.Sdk.WaitForCompletionAsync(executionId);
        var execution = await (await Http.GetAsync($"/api/executions/{executionId}")).JsonAsync();

        Assert.Equal("failed", execution.GetProperty("state").GetString());
        var attempts = execution.GetProperty("attempts").EnumerateArray().ToArray();
        Assert.Equal(3, attempts.Length);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("failed", attempts[i].GetProperty("outcome").GetString());
            Assert.Equal(7, attempts[i].GetProperty("exitCode").GetInt32());
            Assert.Equal($"attempt {i + 1}\n", attempts[i].GetProperty("output").GetString());
        }

        var list = await (await Http.GetAsync("/api/jobs/always-fails/executions?state=failed")).JsonAsync();
        Assert.Equal(executionId, list.GetProperty("items")[0].GetProperty("id").GetString());
        var none = await (await Http.GetAsync("/api/jobs/always-fails/executions?state=succeeded")).JsonAsync();
        Assert.Equal(0, none.GetProperty("items").GetArrayLength());
    }

    [Theory]
    [InlineData("/health/live", "succeeded", 200)]
    [InlineData("/api/jobs/no-such-job", "failed", 401)]
    public async Task HttpAction_RecordsTheStatus_And2xxIsSuccess(string path, string outcome, int status)
    {
        var id = $"http-{status}";
        var body = $$$"""{"schedule":{"kind":"manual"},"action":{"kind":"http","method":"GET","url":"{{{new Uri(Http.BaseAddress!, path)}}}"}}""";
        Assert.Equal(HttpStatusCode.Created, (await Http.SendJsonAsync(HttpMethod.Put, $"/api/jobs/{id}", body)).StatusCode);
        var executionId = (await (await Http.SendJsonAsync(HttpMethod.Post, $"/api/jobs/{id}/trigger", null)).JsonAsync()).GetProperty("id").GetString()!;

        var done = await server.Sdk.WaitForCompletionAsync(executionId);

        var attempt = Assert.Single(done.Attempts);
        Assert.Equal(outcome, JsonNamingPolicy.CamelCase.ConvertName(attempt.Outcome!.Value.ToString()));
        Assert.Equal(status, attempt.HttpStatus);
        Assert.StartsWith($"HTTP {status}", attempt.Output);
    }

    [Fact]
    public async Task Timeout_KillsASleepingCommand()
    {
        const string body = """
            {"schedule":{"kind":"manual"},"timeout":"PT0.5S",
             "action":{"kind":"command","command":"sleep","args":["30"]}}
            """;
        await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/sleepy", body);
        var executionId = (await (await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/sleepy/trigger", null)).JsonAsync()).GetProperty("id").GetString()!;

        var done = await server.Sdk.WaitForCompletionAsync(executionId);

        Assert.Equal(ExecutionState.Failed, done.State);
        var attempt = Assert.Single(done.Attempts);
        Assert.Equal(AttemptOutcome.TimedOut, attempt.Outcome);
        Assert.True(attempt.Duration < TimeSpan.FromSeconds(10));
    }

    [Theory]
    [InlineData("live-tail", "")]
    // Reserving resources puts the attempt behind its runner grain: the output is read from there.
    [InlineData("live-tail-reserved", "\"resources\":{\"cpuMillis\":100},")]
    public async Task RunningCommand_ShowsItsOutputSoFar_WithSecretsMasked_BeforeItEnds(string id, string resources)
    {
        var body = """
            {"schedule":{"kind":"manual"},RESOURCES
             "action":{"kind":"command","command":"bash","args":["-c","echo first line; echo token=$TOKEN; sleep 30; echo never"],
                       "secrets":{"TOKEN":"live-secret-value"}}}
            """.Replace("RESOURCES", resources, StringComparison.Ordinal);
        await Http.SendJsonAsync(HttpMethod.Put, $"/api/jobs/{id}", body);
        var executionId = (await (await Http.SendJsonAsync(HttpMethod.Post, $"/api/jobs/{id}/trigger", null)).JsonAsync()).GetProperty("id").GetString()!;

        // Polled as a page would: the attempt is still running, yet its output so far is there.
        JsonElement attempt = default;
        var deadline = DateTimeOffset.UtcNow.AddSeconds(20);
        while (DateTimeOffset.UtcNow < deadline)
        {
            var execution = await (await Http.GetAsync($"/api/executions/{executionId}")).JsonAsync();
            attempt = execution.GetProperty("attempts").EnumerateArray().LastOrDefault();
            if (attempt.ValueKind == JsonValueKind.Object && attempt.TryGetProperty("output", out var output) && output.GetString()?.Contains("token=") == true)
            {
                break;
            }
            await Task.Delay(100);
        }
        var text = attempt.GetProperty("output").GetString()!;
        Assert.Equal("first line\ntoken=***\n", text);
        Assert.False(attempt.TryGetProperty("finishedAt", out var finished) && finished.ValueKind != JsonValueKind.Null, "the attempt has ended");

        await Http.SendJsonAsync(HttpMethod.Post, $"/api/executions/{executionId}/cancel", null);
        var done = await server.Sdk.WaitForCompletionAsync(executionId);
        Assert.Equal(ExecutionState.Cancelled, done.State);
        Assert.DoesNotContain("live-secret-value", done.Attempts.Single().Output ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancel_StopsARunningCommand_AndNoRetryFollows()
    {
        const string body = """
            {"schedule":{"kind":"manual"},"retry":{"maxAttempts":5},
             "action":{"kind":"command","command":"bash","args":["-c","echo running; sleep 30"]}}
            """;
        await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/to-cancel", body);
        var executionId = (await (await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/to-cancel/trigger", null)).JsonAsync()).GetProperty("id").GetString()!;

        var response = await Http.SendJsonAsync(HttpMethod.Post, $"/api/executions/{executionId}/cancel", null);
        var cancelled = await response.ReadAsync<ExecutionInfo>();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(ExecutionState.Cancelled, cancelled.State);
        Assert.All(cancelled.Attempts, a => Assert.Equal(AttemptOutcome.Cancelled, a.Outcome));
        Assert.True(cancelled.Attempts.Length <= 1);
    }

    [Fact]
    public async Task PauseResumeDelete_ChangeTheJobAsShown()
    {
        await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/lifecycle", """{"schedule":{"kind":"interval","every":"PT1H"},"action":{"kind":"handler","handler":"noop"}}""");

        var paused = await (await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/lifecycle/pause", null)).JsonAsync();
        Assert.Equal("paused", paused.GetProperty("state").GetString());
        Assert.Equal(JsonValueKind.Null, paused.GetProperty("nextFireAt").ValueKind);

        var resumed = await (await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/lifecycle/resume", null)).JsonAsync();
        Assert.Equal("active", resumed.GetProperty("state").GetString());
        Assert.NotEqual(JsonValueKind.Null, resumed.GetProperty("nextFireAt").ValueKind);

        Assert.Equal(HttpStatusCode.NoContent, (await Http.DeleteAsync("/api/jobs/lifecycle")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/jobs/lifecycle")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.DeleteAsync("/api/jobs/lifecycle")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/lifecycle/pause", null)).StatusCode);
        var trigger = await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/lifecycle/trigger", null);
        Assert.Equal(HttpStatusCode.NotFound, trigger.StatusCode);
        Assert.Equal("There is no job with id 'lifecycle'.", (await trigger.JsonAsync()).GetProperty("detail").GetString());
    }

    [Fact]
    public async Task TriggerRetriedWithTheSameIdempotencyKey_RunsOnce()
    {
        await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/retried", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"}}""");

        async Task<(HttpStatusCode Status, JsonElement Body)> TriggerAsync(string? key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/api/jobs/retried/trigger");
            if (key is not null)
            {
                request.Headers.Add("Idempotency-Key", key);
            }
            using var response = await Http.SendAsync(request);
            return (response.StatusCode, await response.JsonAsync());
        }

        var first = await TriggerAsync("order-42");
        var retried = await TriggerAsync("order-42");
        var other = await TriggerAsync("order-43");
        var bad = await TriggerAsync(new string('k', 201));

        Assert.Equal(HttpStatusCode.Accepted, first.Status);
        Assert.Equal(HttpStatusCode.Accepted, retried.Status);
        Assert.Equal(first.Body.GetProperty("id").GetString(), retried.Body.GetProperty("id").GetString());
        Assert.NotEqual(first.Body.GetProperty("id").GetString(), other.Body.GetProperty("id").GetString());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, bad.Status);
        Assert.True(bad.Body.GetProperty("errors").TryGetProperty("Idempotency-Key", out _));
        var listed = await (await Http.GetAsync("/api/jobs/retried/executions")).JsonAsync();
        Assert.Equal(2, listed.GetProperty("items").GetArrayLength());
    }

    [Fact]
    public async Task DeletingAJobWhileItRuns_Converges_AndDeletingAgainIs404()
    {
        await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/deleted-while-running", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"sleep","payload":{"ms":1500}}}""");
        await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/deleted-after", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"}}""");
        var running = (await (await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/deleted-while-running/trigger", null)).JsonAsync()).GetProperty("id").GetString();
        var finished = (await (await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/deleted-after/trigger", null)).JsonAsync()).GetProperty("id").GetString();
        await server.Sdk.WaitForCompletionAsync(finished!);

        Assert.Equal(HttpStatusCode.NoContent, (await Http.DeleteAsync("/api/jobs/deleted-while-running")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await Http.DeleteAsync("/api/jobs/deleted-after")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.DeleteAsync("/api/jobs/deleted-while-running")).StatusCode);

        // The finished run went with its job at once; the running one finishes, then goes too.
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"/api/executions/{finished}")).StatusCode);
        var last = await server.Sdk.WaitForCompletionAsync(running!);
        Assert.Equal(ExecutionState.Succeeded, last.State);
        var deadline = DateTimeOffset.UtcNow.AddSeconds(10);
        while ((await Http.GetAsync($"/api/executions/{running}")).StatusCode != HttpStatusCode.NotFound)
        {
            Assert.True(DateTimeOffset.UtcNow < deadline, "the finished execution of a deleted job was not dropped");
            await Task.Delay(50);
        }
        var jobs = await (await Http.GetAsync("/api/jobs?limit=500")).JsonAsync();
        Assert.DoesNotContain(jobs.GetProperty("items").EnumerateArray(), j => j.GetProperty("id").GetString()!.StartsWith("deleted-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ListJobs_FiltersByOwnerAndTag_AndPagesWithACursor()
    {
        for (var i = 0; i < 7; i++)
        {
            var body = $$$"""{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"},"tags":{"env":"{{{(i % 2 == 0 ? "prod" : "dev")}}}"}}""";
            await Http.SendJsonAsync(HttpMethod.Put, $"/api/jobs/pager-{i}", body, user: "pager");
        }
        await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/not-pagers", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"}}""", user: "someone-else");

        var seen = new List<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await (await Http.GetAsync($"/api/jobs?owner=pager&limit=3{(cursor is null ? "" : $"&cursor={cursor}")}")).JsonAsync();
            seen.AddRange(page.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetString()!));
            cursor = page.GetProperty("next").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(3, pages);
        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"pager-{i}"), seen);
        var prod = await (await Http.GetAsync("/api/jobs?owner=pager&tag=env:prod")).JsonAsync();
        Assert.Equal(4, prod.GetProperty("items").GetArrayLength());
    }

    [Theory]
    [InlineData("/api/jobs?state=sleeping", "state")]
    [InlineData("/api/jobs?limit=0", "limit")]
    [InlineData("/api/jobs?cursor=%%%", "cursor")]
    public async Task BadQuery_GetsAProblemNamingTheParameter(string url, string field)
    {
        var response = await Http.GetAsync(url);
        var problem = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
    }

    [Fact]
    public async Task Stats_CountJobsAndExecutionsByState()
    {
        await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/counted", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"}}""");
        var executionId = (await (await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/counted/trigger", null)).JsonAsync()).GetProperty("id").GetString()!;
        await server.Sdk.WaitForCompletionAsync(executionId);

        var stats = await (await Http.GetAsync("/api/stats")).JsonAsync();

        Assert.True(stats.GetProperty("jobs").GetProperty("active").GetInt64() >= 1);
        Assert.True(stats.GetProperty("executions").GetProperty("succeeded").GetInt64() >= 1);
    }

    [Fact]
    public async Task Nodes_ListThisSilo_AndCanBeDrainedAndActivated()
    {
        var nodes = (await (await Http.GetAsync("/api/nodes")).JsonAsync()).GetProperty("items");
        var node = Assert.Single(nodes.EnumerateArray());
        var id = node.GetProperty("id").GetString()!;
        Assert.Equal("active", node.GetProperty("state").GetString());
        Assert.True(node.GetProperty("cpuMillis").GetInt32() >= 1000);
        Assert.StartsWith("127.0.0.1:", id);

        var drained = await Http.SendJsonAsync(HttpMethod.Put, $"/api/nodes/{id}", """{"state":"draining"}""");
        Assert.Equal("draining", (await drained.JsonAsync()).GetProperty("state").GetString());
        var active = await Http.SendJsonAsync(HttpMethod.Put, $"/api/nodes/{id}", """{"state":"active"}""");
        Assert.Equal("active", (await active.JsonAsync()).GetProperty("state").GetString());

        Assert.Equal(HttpStatusCode.UnprocessableEntity, (await Http.SendJsonAsync(HttpMethod.Put, $"/api/nodes/{id}", """{"state":"down"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await Http.SendJsonAsync(HttpMethod.Put, $"/api/nodes/{id}", """{"state":"sleepy"}""")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.SendJsonAsync(HttpMethod.Put, "/api/nodes/10.9.9.9:1", """{"state":"draining"}""")).StatusCode);
    }

    [Fact]
    public async Task ResourcesLargerThanAnyNode_AreRejectedNamingTheField()
    {
        var response = await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/huge", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop"},"resources":{"cpuMillis":100000000}}""");
        var problem = await response.JsonAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True(problem.GetProperty("errors").TryGetProperty("resources.cpuMillis", out _), problem.ToString());
    }

    [Fact]
    public async Task UnknownExecution_Is404WithAProblem()
    {
        var response = await Http.GetAsync("/api/executions/nope@20260101T000000.0000000Z");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}
