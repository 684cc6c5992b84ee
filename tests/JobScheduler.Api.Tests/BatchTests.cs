using JobScheduler.Testing;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using JobScheduler.Client;

namespace JobScheduler.Api.Tests;

/// <summary><c>POST /api/jobs/batch</c> over real HTTP and <see cref="IJobSchedulerClient.ScheduleManyAsync"/> through the gateway.</summary>
public sealed class BatchTests(CommandsEnabledServer server) : IClassFixture<CommandsEnabledServer>
{
    private const string Noop = """ "schedule":{"kind":"interval","every":"PT1H"},"action":{"kind":"handler","handler":"noop"} """;

    private HttpClient Http => server.Http;

    /// <summary>The template with RUN replaced by the run's id and NOOP by a valid schedule and action.</summary>
    private static string Body(string template, string run) =>
        template.Replace("RUN", run, StringComparison.Ordinal).Replace("NOOP", Noop, StringComparison.Ordinal);

    private IJobSchedulerClient Sdk => server.Sdk;

    [Fact]
    public async Task Batch_StoresEveryJob_InOrder_AndTheyAreListed()
    {
        var run = Guid.NewGuid().ToString("n")[..8];
        var body = Body("""
            {"jobs":[
              {"id":"b-RUN-1",NOOP,"tags":{"run":"RUN"}},
              {NOOP,"tags":{"run":"RUN"}},
              {"id":"b-RUN-3","name":"third","schedule":{"kind":"cron","expression":"0 9 * * *"},"action":{"kind":"handler","handler":"noop"},"tags":{"run":"RUN"}}
            ]}
            """, run);

        var response = await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/batch", body, user: "batcher");
        var results = (await response.JsonAsync()).GetProperty("results").EnumerateArray().ToArray();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, results.Length);
        Assert.All(results, r => Assert.Equal(201, r.GetProperty("status").GetInt32()));
        Assert.All(results, r => Assert.Equal(0, r.GetProperty("errors").GetArrayLength()));
        Assert.Equal($"b-{run}-1", results[0].GetProperty("id").GetString());
        var generated = results[1].GetProperty("id").GetString()!;
        Assert.Equal(32, generated.Length);
        Assert.Equal(generated, results[1].GetProperty("job").GetProperty("id").GetString());
        Assert.Equal("third", results[2].GetProperty("job").GetProperty("name").GetString());
        Assert.Equal("batcher", results[2].GetProperty("job").GetProperty("owner").GetString());

        var listed = await (await Http.GetAsync($"/api/jobs?tag=run:{run}")).JsonAsync();
        var ids = listed.GetProperty("items").EnumerateArray().Select(j => j.GetProperty("id").GetString()).Order().ToArray();
        Assert.Equal(new[] { $"b-{run}-1", $"b-{run}-3", generated }.Order(), ids);

        // The same ids again replace the jobs.
        var again = await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/batch", Body("""{"jobs":[{"id":"b-RUN-1",NOOP}]}""", run));
        Assert.Equal(200, (await again.JsonAsync()).GetProperty("results")[0].GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task InvalidItem_FailsAlone_WithItsErrorsPrefixed_AndTheOthersAreStored()
    {
        var run = Guid.NewGuid().ToString("n")[..8];
        var body = Body("""
            {"jobs":[
              {"id":"i-RUN-0",NOOP},
              {"id":"i-RUN-1","schedule":{"kind":"cron","expression":"61 * * * *"},"action":{"kind":"handler","handler":"noop"}},
              {"id":"-bad-id",NOOP},
              {"id":"i-RUN-3",NOOP}
            ]}
            """, run);

        var response = await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/batch", body);
        var results = (await response.JsonAsync()).GetProperty("results");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(201, results[0].GetProperty("status").GetInt32());
        Assert.Equal(422, results[1].GetProperty("status").GetInt32());
        Assert.Equal(JsonValueKind.Null, results[1].GetProperty("job").ValueKind);
        var error = results[1].GetProperty("errors")[0];
        Assert.Equal("jobs[1].schedule.expression", error.GetProperty("field").GetString());
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal(422, results[2].GetProperty("status").GetInt32());
        Assert.Equal("jobs[2].id", results[2].GetProperty("errors")[0].GetProperty("field").GetString());
        Assert.Equal(201, results[3].GetProperty("status").GetInt32());

        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync($"/api/jobs/i-{run}-0")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"/api/jobs/i-{run}-1")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Http.GetAsync($"/api/jobs/i-{run}-3")).StatusCode);
    }

    [Theory]
    [InlineData("""{"jobs":[{"id":"dup-RUN-a",NOOP},{"id":"dup-RUN-b",NOOP},{"id":"dup-RUN-a",NOOP}]}""", 422, "jobs[2].id")]
    [InlineData("""{"jobs":[{"id":"nul-RUN-a",NOOP},null]}""", 422, "jobs[1]")]
    [InlineData("""{"jobs":[]}""", 422, "jobs")]
    [InlineData("""{}""", 422, "jobs")]
    [InlineData("""{"jobs":{"id":"obj-RUN-a"}}""", 400, "jobs")]
    [InlineData("""{"jobs":[{"id":"unk-RUN-a",NOOP},{"id":"unk-RUN-b",NOOP,"colour":"red"}]}""", 400, "jobs[1].colour")]
    [InlineData("""{"jobs":[{"id":"typ-RUN-a",NOOP},{"id":"typ-RUN-b","schedule":{"kind":"interval","every":"soon"},"action":{"kind":"handler","handler":"noop"}}]}""", 400, "jobs[1].schedule.every")]
    [InlineData("""{"jobs":[{"id":"top-RUN-a",NOOP}],"extra":1}""", 400, "extra")]
    public async Task MalformedBatch_GetsAProblemNamingTheField_AndStoresNothing(string template, int status, string field)
    {
        var run = Guid.NewGuid().ToString("n")[..8];
        var body = Body(template, run);

        var response = await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/batch", body);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out var messages), $"no error for '{field}' in {problem}");
        Assert.False(string.IsNullOrEmpty(messages[0].GetString()));
        foreach (var id in Regex.Matches(body, "\"id\":\"([^\"]+)\"").Select(m => m.Groups[1].Value))
        {
            Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"/api/jobs/{id}")).StatusCode);
        }
    }

    [Fact]
    public async Task BatchOverTheLimit_IsRefusedWhole()
    {
        var run = Guid.NewGuid().ToString("n")[..8];
        var items = Enumerable.Range(0, JobBatch.MaxItems + 1).Select(i => Body($"{{\"id\":\"big-RUN-{i}\",NOOP}}", run));

        var response = await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs/batch", $"{{\"jobs\":[{string.Join(",", items)}]}}");

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty("jobs", out _));
        Assert.Equal(HttpStatusCode.NotFound, (await Http.GetAsync($"/api/jobs/big-{run}-0")).StatusCode);
    }

    [Fact]
    public async Task AJobCalledBatch_IsStillReachedByPutAndGet()
    {
        var put = await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/batch", Body("{NOOP}", ""));
        var get = await Http.GetAsync("/api/jobs/batch");

        Assert.True(put.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK);
        Assert.Equal("batch", (await get.JsonAsync()).GetProperty("id").GetString());
    }

    [Fact]
    public async Task ScheduleMany_RoundTrips_InOrder_AcrossChunks()
    {
        var run = Guid.NewGuid().ToString("n")[..8];
        var spec = new JobSpec { Schedule = ScheduleSpec.Interval(TimeSpan.FromHours(1)), Action = ActionSpec.RunHandler("noop") };
        var items = Enumerable.Range(0, JobBatch.MaxItems + 200).Select(i => new JobBatchItem($"m-{run}-{i}", spec)).ToList();
        items[5] = new JobBatchItem(null, spec);
        items[1100] = new JobBatchItem($"m-{run}-1100", spec with { Schedule = ScheduleSpec.Cron("0 9 * * *", "Not/AZone") });

        var results = await Sdk.ScheduleManyAsync(items);

        Assert.Equal(items.Count, results.Count);
        for (var i = 0; i < items.Count; i++)
        {
            if (i == 1100)
            {
                Assert.False(results[i].IsStored);
                Assert.Equal($"m-{run}-1100", results[i].Id);
                Assert.Null(results[i].Job);
                Assert.Equal("schedule.timeZone", Assert.Single(results[i].Errors).Field);
                continue;
            }
            Assert.True(results[i].IsStored, $"item {i}: {string.Join("; ", results[i].Errors)}");
            Assert.True(results[i].Created);
            Assert.Equal(results[i].Id, results[i].Job!.Id);
            Assert.Equal(TestLogin.Admin, results[i].Job!.Owner);
            if (i != 5)
            {
                Assert.Equal($"m-{run}-{i}", results[i].Id);
            }
        }
        Assert.NotNull(await Sdk.GetJobAsync(results[5].Id!));
        Assert.NotNull(await Sdk.GetJobAsync($"m-{run}-1199"));
        Assert.Null(await Sdk.GetJobAsync($"m-{run}-1100"));

        var replaced = await Sdk.ScheduleManyAsync([new JobBatchItem($"m-{run}-0", spec with { Name = "renamed" })]);
        Assert.False(replaced[0].Created);
        Assert.Equal("renamed", (await Sdk.GetJobAsync($"m-{run}-0"))!.Name);
    }

    [Fact]
    public async Task ScheduleMany_WithADuplicateId_ThrowsAndStoresNothing()
    {
        var run = Guid.NewGuid().ToString("n")[..8];
        var spec = new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("noop") };
        // The duplicate sits in the second chunk: the first must not be stored either.
        var items = Enumerable.Range(0, JobBatch.MaxItems + 10).Select(i => new JobBatchItem($"d-{run}-{i}", spec)).ToList();
        items[JobBatch.MaxItems + 5] = new JobBatchItem($"d-{run}-3", spec);

        var error = await Assert.ThrowsAsync<JobValidationException>(() => Sdk.ScheduleManyAsync(items));

        Assert.Equal($"jobs[{JobBatch.MaxItems + 5}].id", Assert.Single(error.Errors).Field);
        Assert.Null(await Sdk.GetJobAsync($"d-{run}-0"));
        Assert.Null(await Sdk.GetJobAsync($"d-{run}-3"));
    }
}
