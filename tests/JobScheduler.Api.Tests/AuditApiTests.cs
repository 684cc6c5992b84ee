using System.Net;
using System.Text.Json;

namespace JobScheduler.Api.Tests;

/// <summary>The audit trail through the REST API (docs/security.md, "Audit trail"), on the SQLite store.</summary>
public sealed class AuditApiTests(CommandsEnabledServer server) : IClassFixture<CommandsEnabledServer>
{
    private const string Secret = "audit-secret-value-7f3a";

    private static readonly string CommandJob = $$$"""
        {"schedule":{"kind":"manual"},
         "action":{"kind":"command","command":"sh","args":["-c","true"],"secrets":{"TOKEN":"{{{Secret}}}"}} }
        """;

    private HttpClient Http => server.Http;

    /// <summary>Creates, triggers and deletes a job as <paramref name="operatorName"/>; the job's id.</summary>
    private async Task<string> CreateTriggerAndDeleteAsync(string operatorName)
    {
        using var created = await Http.SendJsonAsync(HttpMethod.Post, "/api/jobs", CommandJob, operatorName);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.JsonAsync()).GetProperty("id").GetString()!;
        using var triggered = await Http.SendJsonAsync(HttpMethod.Post, $"/api/jobs/{id}/trigger", null, operatorName);
        Assert.Equal(HttpStatusCode.Accepted, triggered.StatusCode);
        using var deleted = await Http.SendJsonAsync(HttpMethod.Delete, $"/api/jobs/{id}", null, operatorName);
        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        return id;
    }

    [Fact]
    public async Task AnOperatorsChanges_AreListedForAdmins_NewestFirst_WithActorResourceAndStatus_AndNoSecret()
    {
        var id = await CreateTriggerAndDeleteAsync("audit-olga");
        // A refused change (another operator's job answers 404) is not an entry.
        using var refused = await Http.SendJsonAsync(HttpMethod.Delete, $"/api/jobs/{id}", null, "audit-olga");
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);

        using var response = await Http.SendJsonAsync(HttpMethod.Get, "/api/audit?actor=audit-olga", null);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var items = JsonDocument.Parse(text).RootElement.GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["job.delete", "job.trigger", "job.create"], items.Select(e => e.GetProperty("action").GetString()));
        Assert.All(items, e => Assert.Equal("audit-olga", e.GetProperty("actor").GetString()));
        Assert.All(items, e => Assert.Equal(id, e.GetProperty("resource").GetString()));
        Assert.Equal([204, 202, 201], items.Select(e => e.GetProperty("status").GetInt32()));
        Assert.DoesNotContain(Secret, text, StringComparison.Ordinal);

        using var byResource = await Http.SendJsonAsync(HttpMethod.Get, $"/api/audit?resource={id}", null);
        Assert.Equal(3, (await byResource.JsonAsync()).GetProperty("items").GetArrayLength());
    }

    [Theory]
    [InlineData("viewer")]
    [InlineData("operator")]
    public async Task TheTrail_IsRefusedToAnyoneButAdmins(string role)
    {
        using var response = await Http.SendJsonAsync(HttpMethod.Get, "/api/audit", null, $"audit-{role}", role);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Pages_FollowOneAnotherByCursor_WithoutRepeats()
    {
        await CreateTriggerAndDeleteAsync("audit-pavel");
        await CreateTriggerAndDeleteAsync("audit-pavel");

        var actions = new List<string>();
        var ids = new HashSet<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var path = "/api/audit?actor=audit-pavel&limit=4" + (cursor is null ? "" : "&cursor=" + Uri.EscapeDataString(cursor));
            using var response = await Http.SendJsonAsync(HttpMethod.Get, path, null);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var page = await response.JsonAsync();
            foreach (var entry in page.GetProperty("items").EnumerateArray())
            {
                Assert.True(ids.Add(entry.GetProperty("id").GetString()!));
                actions.Add(entry.GetProperty("action").GetString()!);
            }
            cursor = page.GetProperty("next").GetString();
            pages++;
        }
        while (cursor is not null);

        Assert.Equal(2, pages);
        Assert.Equal(["job.delete", "job.trigger", "job.create", "job.delete", "job.trigger", "job.create"], actions);
    }

    [Theory]
    [InlineData("limit=0", "limit")]
    [InlineData("limit=501", "limit")]
    [InlineData("limit=ten", "limit")]
    [InlineData("cursor=not-a-cursor", "cursor")]
    [InlineData("cursor=Zm9v", "cursor")]
    public async Task BadQueryValues_AnswerAProblemNamingTheField(string query, string field)
    {
        using var response = await Http.SendJsonAsync(HttpMethod.Get, "/api/audit?" + query, null);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty(field, out _));
    }
}
