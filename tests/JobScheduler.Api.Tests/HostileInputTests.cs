using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using CsCheck;

namespace JobScheduler.Api.Tests;

/// <summary>
/// Bad input never crashes or half-writes (SPEC §8, issue 11): the bugs found by hand and by the generated requests,
/// each pinned, and a property test of ~1,500 hostile requests over every route against the real server.
/// </summary>
public sealed class HostileInputTests(CommandsEnabledServer server) : IClassFixture<CommandsEnabledServer>
{
    /// <summary>The default seed, so a run is repeatable; <c>CsCheck_Seed</c> replays another (CsCheck prints it on failure).</summary>
    private const string DefaultSeed = "0N0XIzNsQ0O2";

    private HttpClient Http => server.Http;

    // ----- the bugs, each pinned -----

    [Fact]
    public async Task PutJob_IntervalOfTenThousandYears_Is422NamingEvery_NotA500()
    {
        var response = await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/ten-thousand-years",
            """{"schedule":{"kind":"interval","every":"P10000Y"},"action":{"kind":"http","url":"https://example.com"}}""");

        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "schedule.every");
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/jobs/ten-thousand-years")).StatusCode);
    }

    [Fact]
    public async Task PutJob_OnceAtYearOne_Is422NamingAt_AndNothingIsStored()
    {
        var response = await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/year-one",
            """{"schedule":{"kind":"once","at":"0001-01-01T00:00:00Z"},"action":{"kind":"http","url":"https://example.com"}}""");

        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "schedule.at");
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/jobs/year-one")).StatusCode);
    }

    [Fact]
    public async Task PutDag_ScheduleOfTenThousandYears_Is422NamingEvery()
    {
        var response = await Http.SendJsonAsync(HttpMethod.Put, "/api/dags/ten-thousand-years",
            DagBodies.Manual(DagBodies.Noop("a")).Replace("{\"kind\":\"manual\"}", "{\"kind\":\"interval\",\"every\":\"P10000Y\"}", StringComparison.Ordinal));

        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "schedule.every");
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync("/api/dags/ten-thousand-years")).StatusCode);
    }

    [Fact]
    public async Task PutJob_TimeoutBeyondWhatATimerHolds_Is422NamingTimeout()
    {
        // Stored before, then every fire failed inside the silo: a timer cannot wait 10,000 years.
        var response = await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/long-timeout",
            """{"schedule":{"kind":"manual"},"action":{"kind":"http","url":"https://example.com"},"timeout":"P10000Y"}""");

        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "timeout");
    }

    [Fact]
    public async Task PutJob_BodyOverTheLimit_Is413Problem()
    {
        var body = $"{{\"name\":\"{new string('x', 1024 * 1024)}\",\"schedule\":{{\"kind\":\"manual\"}},\"action\":{{\"kind\":\"http\",\"url\":\"https://example.com\"}}}}";

        var response = await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/too-large", body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task PutJob_ChunkedBodyOverTheLimit_Is413Problem()
    {
        // No Content-Length: the limit holds while the body streams in.
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(new string(' ', 2 * 1024 * 1024) + "{}")));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Put, "/api/jobs/too-large-chunked") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        var response = await Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
    }

    [Fact]
    public async Task PostBatch_BodyAboveTheSingleLimit_IsReadUnderTheBatchLimit()
    {
        // 1,000 jobs of about 2 KB each: above the 1 MiB of one request, within the batch route's 8 MiB. Each item is refused
        // on its own (unknown handler), so nothing is stored.
        var item = $"{{\"name\":\"{new string('n', 200)}\",\"schedule\":{{\"kind\":\"manual\"}},"
            + $"\"action\":{{\"kind\":\"handler\",\"handler\":\"absent\",\"payload\":\"{new string('p', 1800)}\"}}}}";
        var body = $$"""{"jobs":[{{string.Join(",", Enumerable.Repeat(item, 1000))}}]}""";
        Assert.True(body.Length > 1024 * 1024);

        var response = await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/batch", body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var results = (await response.JsonAsync()).GetProperty("results");
        Assert.All(results.EnumerateArray(), r => Assert.Equal(422, r.GetProperty("status").GetInt32()));
    }

    [Fact]
    public async Task PutJob_JsonDeeperThan64_Is400NamingTheBody()
    {
        var deep = string.Concat(Enumerable.Repeat("[", 1000)) + string.Concat(Enumerable.Repeat("]", 1000));

        var response = await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/deep", """{"schedule":{"kind":"manual"},"action":{"kind":"handler","handler":"noop","payload":""" + deep + "}}");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "action.payload");
    }

    [Fact]
    public async Task PutJob_InvalidUtf8_Is400()
    {
        byte[] body = [.. "{\"name\":\""u8, 0xC3, 0x28, .. "\",\"schedule\":{\"kind\":\"manual\"},\"action\":{\"kind\":\"http\",\"url\":\"https://example.com\"}}"u8];
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");

        var response = await Http.PutAsync("/api/jobs/bad-utf8", content);

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "name");
    }

    [Fact]
    public async Task PutJob_WrongType_Is400NamingTheField()
    {
        var response = await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/wrong-type",
            """{"schedule":{"kind":"manual"},"action":{"kind":"http","url":"https://example.com"},"priority":"high"}""");

        await AssertProblemAsync(response, HttpStatusCode.BadRequest, "priority");
    }

    [Theory]
    [InlineData("/api/jobs/%20")]
    [InlineData("/api/jobs/%09/executions")]
    [InlineData("/api/dags/%20")]
    [InlineData("/api/dag-runs/%20")]
    [InlineData("/api/executions/%20")]
    public async Task Get_WhitespaceId_Is404_NotA500(string path)
    {
        // Regression (found by the property below): Orleans refuses a whitespace-only grain key with an exception.
        var response = await Http.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task WritesToAWhitespaceId_AreRefused_NotA500()
    {
        var job = """{"schedule":{"kind":"manual"},"action":{"kind":"http","url":"https://example.com"}}""";

        await AssertProblemAsync(await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/%20", job), HttpStatusCode.UnprocessableEntity, "id");
        await AssertProblemAsync(await Http.SendJsonAsync(HttpMethod.Put, "/api/dags/%20", DagBodies.Manual(DagBodies.Noop("a"))), HttpStatusCode.UnprocessableEntity, "id");
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync("/api/dag-runs/%20/retry", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.PostAsync("/api/executions/%20/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.DeleteAsync("/api/jobs/%20")).StatusCode);
    }

    // ----- the property -----

    [Fact]
    public async Task HostileRequests_NeverGet5xx_NeverChangeStoredState_AndTheServerStillAnswers()
    {
        Assert.Equal(HttpStatusCode.Created, (await Http.SendJsonAsync(HttpMethod.Put, $"/api/jobs/{HostileRequests.KeptJob}",
            """{"name":"kept","schedule":{"kind":"manual"},"action":{"kind":"http","url":"https://example.com"},"tags":{"team":"a"}}""")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await Http.SendJsonAsync(HttpMethod.Put, $"/api/dags/{HostileRequests.KeptDag}",
            DagBodies.Manual(DagBodies.Noop("a"), DagBodies.Noop("b", "a")))).StatusCode);
        var before = await SnapshotAsync();
        var seed = Environment.GetEnvironmentVariable("CsCheck_Seed") is { Length: > 0 } given ? given : DefaultSeed;
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("JOBSCHEDULER_HOSTILE_ITER"), out var n) ? n : 1_500;
        var freshJobs = new List<string>();
        var freshDags = new List<string>();
        var sent = 0;

        // The whole run is one generated value, so the seed replays it exactly (CsCheck seeds only the first sample of a run).
        await HostileRequests.Any.Array[iterations].SampleAsync(async requests =>
        {
            foreach (var request in requests)
            {
                var status = await SendAsync(request);
                sent++;
                Assert.True(status < 500, $"{status} for request {sent} of seed {seed}: {request}");
                freshJobs.AddRange(request.FreshJobId is { } job ? [job] : []);
                freshDags.AddRange(request.FreshDagId is { } dag ? [dag] : []);
            }
        }, seed: seed, iter: 1, threads: 1, print: requests => $"{requests.Length} requests");

        Assert.True(sent >= Math.Min(iterations, 1_000), $"only {sent} requests were sent (seed {seed})");
        var after = await SnapshotAsync();
        Assert.True(before == after, $"stored state changed (seed {seed}); now: {after[..Math.Min(after.Length, 3000)]}");
        foreach (var id in freshJobs.Distinct())
        {
            Assert.True((await Http.GetAsync($"/api/jobs/{id}")).StatusCode == HttpStatusCode.NotFound, $"job {id} was stored by a refused request (seed {seed})");
        }
        foreach (var id in freshDags.Distinct())
        {
            Assert.True((await Http.GetAsync($"/api/dags/{id}")).StatusCode == HttpStatusCode.NotFound, $"DAG {id} was stored by a refused request (seed {seed})");
        }
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync("/health/ready")).StatusCode);
    }

    /// <summary>Every stored job and DAG as the lists show them.</summary>
    private async Task<string> SnapshotAsync() =>
        await Http.GetStringAsync("/api/jobs?limit=500") + "\n" + await Http.GetStringAsync("/api/dags?limit=500");

    /// <summary>The status the server answered (0 when it closed the connection without one).</summary>
    private async Task<int> SendAsync(HostileRequest request)
    {
        if (request.Raw is { } raw)
        {
            return await SendRawAsync(raw);
        }
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), request.Path);
        if (request.Body is { } body)
        {
            message.Content = new ByteArrayContent(body);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        foreach (var (name, value) in request.Headers)
        {
            if (message.Content is not null && name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                message.Content.Headers.Remove(name);
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                message.Headers.TryAddWithoutValidation(name, value);
            }
        }
        using var response = await Http.SendAsync(message);
        return (int)response.StatusCode;
    }

    private async Task<int> SendRawAsync(byte[] request)
    {
        var address = Http.BaseAddress!;
        using var client = new TcpClient();
        await client.ConnectAsync(address.Host, address.Port);
        var stream = client.GetStream();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await stream.WriteAsync(request, timeout.Token);
        }
        catch (IOException)
        {
            // The server may refuse a request before it is all written.
        }
        var buffer = new byte[64];
        var read = 0;
        try
        {
            while (read < 12 && await stream.ReadAsync(buffer.AsMemory(read), timeout.Token) is > 0 and var count)
            {
                read += count;
            }
        }
        catch (IOException)
        {
            return 0;
        }
        var statusLine = Encoding.ASCII.GetString(buffer, 0, read);
        return statusLine.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) && int.TryParse(statusLine.AsSpan(9, 3), out var status) ? status : 0;
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string field)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var errors = (await response.JsonAsync()).GetProperty("errors");
        Assert.True(errors.TryGetProperty(field, out _), $"no error for {field}: {text}");
    }
}
