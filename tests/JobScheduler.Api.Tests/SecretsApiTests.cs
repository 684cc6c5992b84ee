using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobScheduler.Api.Tests;

/// <summary>
/// Action secrets through the REST API and the SDK (docs/security.md, "Secrets"): they reach the command or the http
/// server, answers show <c>***</c>, the SQLite file holds only ciphertext, recorded output masks them, and a PUT that
/// sends <c>***</c> back keeps the stored value.
/// </summary>
public sealed class SecretsApiTests(CommandsEnabledServer server) : IClassFixture<CommandsEnabledServer>
{
    private HttpClient Http => server.Http;

    private static string CommandJob(string secret, string script) => $$$"""
        {"schedule":{"kind":"manual"},
         "action":{"kind":"command","command":"sh","args":["-c",{{{JsonSerializer.Serialize(script)}}}],
                   "env":{"PLAIN":"visible"},"secrets":{"TOKEN":"{{{secret}}}"}} }
        """;

    /// <summary>A shell test that $TOKEN is <paramref name="secret"/>, without the value itself in the arguments (which answers show).</summary>
    internal static string TokenIs(string secret) =>
        $"test \"$TOKEN\" = \"$(echo {Convert.ToBase64String(Encoding.UTF8.GetBytes(secret))} | base64 -d)\"";

    private async Task<string> PutAsync(string id, string body)
    {
        using var response = await Http.SendJsonAsync(HttpMethod.Put, $"/api/jobs/{id}", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"PUT {id}: {(int)response.StatusCode} {text}");
        return text;
    }

    private async Task<System.Text.Json.JsonElement> RunAsync(string id)
    {
        var executionId = await server.Sdk.TriggerAsync(id);
        await server.Sdk.WaitForCompletionAsync(executionId);
        return (await (await Http.GetAsync($"/api/executions/{executionId}")).JsonAsync()).GetProperty("attempts")[0];
    }

    [Fact]
    public async Task CommandSecret_ReachesTheChild_AndEveryAnswerShowsMask()
    {
        const string secret = "s3cret-Value-9d1f";
        var put = await PutAsync("secret-env", CommandJob(secret, TokenIs(secret) + " && test \"$PLAIN\" = visible"));

        var attempt = await RunAsync("secret-env");

        Assert.Equal("succeeded", attempt.GetProperty("outcome").GetString());
        var get = await Http.GetStringAsync("/api/jobs/secret-env");
        var list = await Http.GetStringAsync("/api/jobs?limit=500");
        var sdkJob = await server.Sdk.GetJobAsync("secret-env");
        var sdkList = await server.Sdk.ListJobsAsync(new JobQuery { Limit = 500 });
        foreach (var answer in new[] { put, get, list })
        {
            Assert.DoesNotContain(secret, answer, StringComparison.Ordinal);
            Assert.DoesNotContain("enc:v1:", answer, StringComparison.Ordinal);
        }
        var job = await (await Http.GetAsync("/api/jobs/secret-env")).JsonAsync();
        Assert.Equal("***", job.GetProperty("action").GetProperty("secrets").GetProperty("TOKEN").GetString());
        Assert.Equal("visible", job.GetProperty("action").GetProperty("env").GetProperty("PLAIN").GetString());
        Assert.Equal("***", sdkJob!.Action!.Secrets!["TOKEN"]);
        Assert.Equal("***", sdkList.Items.Single(j => j.Id == "secret-env").Action!.Secrets!["TOKEN"]);
    }

    [Fact]
    public async Task CommandSecret_IsStoredEncrypted_InTheSqliteFile()
    {
        const string secret = "never-in-the-file-7c2e";
        await PutAsync("secret-at-rest", CommandJob(secret, "true"));
        await RunAsync("secret-at-rest");

        // The file and its write-ahead log, read as bytes while the server has them open.
        var stored = new StringBuilder();
        foreach (var path in new[] { server.DatabasePath, server.DatabasePath + "-wal" }.Where(File.Exists))
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(file, Encoding.Latin1);
            stored.Append(await reader.ReadToEndAsync());
        }
        var text = stored.ToString();
        Assert.Contains("secret-at-rest", text, StringComparison.Ordinal);
        Assert.Contains("enc:v1:", text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CommandEchoingItsSecret_RecordsMaskInItsOutput()
    {
        const string secret = "printed-secret-41aa";
        await PutAsync("secret-echo", CommandJob(secret, "echo \"token=$TOKEN plain=$PLAIN\"; echo \"$TOKEN\" >&2"));

        var attempt = await RunAsync("secret-echo");

        Assert.Equal("succeeded", attempt.GetProperty("outcome").GetString());
        var output = attempt.GetProperty("output").GetString()!;
        Assert.Contains("token=*** plain=visible", output, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutSendingMaskBack_KeepsTheStoredSecret_AndMaskForAnUnknownName_IsRefused()
    {
        const string secret = "kept-across-edits-5b";
        await PutAsync("secret-roundtrip", CommandJob(secret, "true"));

        // What GET returned, edited and sent back: the secret comes back as ***.
        var edited = CommandJob("***", TokenIs(secret));
        await PutAsync("secret-roundtrip", edited);
        var attempt = await RunAsync("secret-roundtrip");

        Assert.Equal("succeeded", attempt.GetProperty("outcome").GetString());
        using var unknown = await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/secret-roundtrip",
            edited.Replace("\"TOKEN\":\"***\"", "\"OTHER\":\"***\"", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknown.StatusCode);
        Assert.True((await unknown.JsonAsync()).GetProperty("errors").TryGetProperty("action.secrets.OTHER", out _));
        var fresh = await (await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/secret-fresh", CommandJob("***", "true"))).JsonAsync();
        Assert.True(fresh.GetProperty("errors").TryGetProperty("action.secrets.TOKEN", out _));
    }

    [Fact]
    public async Task TriggerOverrideWithSecrets_RunsWithThem_AndMaskKeepsTheJobsSecret()
    {
        const string secret = "job-secret-0e";
        await PutAsync("secret-override", CommandJob(secret, "true"));
        var overrides = new TriggerOptions
        {
            Action = new ActionSpec
            {
                Kind = ActionKind.Command,
                Command = "sh",
                Args = ["-c", TokenIs(secret) + " && test \"$EXTRA\" = more-7f"],
                Secrets = new() { ["TOKEN"] = "***", ["EXTRA"] = "more-7f" },
            },
        };

        var executionId = await server.Sdk.TriggerAsync("secret-override", overrides);
        var execution = await server.Sdk.WaitForCompletionAsync(executionId);

        Assert.Equal(ExecutionState.Succeeded, execution.State);
    }

    [Theory]
    [InlineData("""{"kind":"handler","handler":"noop","secrets":{"TOKEN":"x"}}""", "action.secrets")]
    [InlineData("""{"kind":"command","command":"true","env":{"TOKEN":"a"},"secrets":{"TOKEN":"b"}}""", "action.secrets.TOKEN")]
    [InlineData("""{"kind":"command","command":"true","secrets":{"1BAD":"b"}}""", "action.secrets.1BAD")]
    [InlineData("""{"kind":"command","command":"true","secrets":{"JOBSCHEDULER_JOB_ID":"b"}}""", "action.secrets.JOBSCHEDULER_JOB_ID")]
    [InlineData("""{"kind":"http","url":"http://example.com","secretHeaders":{"X-Key":"a\r\nX-Injected: 1"}}""", "action.secretHeaders.X-Key")]
    [InlineData("""{"kind":"http","url":"http://example.com","secretHeaders":{"Bad Name":"a"}}""", "action.secretHeaders.Bad Name")]
    [InlineData("""{"kind":"http","url":"http://example.com","headers":{"authorization":"a"},"secretHeaders":{"Authorization":"b"}}""", "action.secretHeaders.Authorization")]
    public async Task InvalidSecrets_AreRefused_NamingTheField_WithoutEchoingTheValue(string action, string field)
    {
        using var response = await Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/secret-invalid", """{"schedule":{"kind":"manual"},"action":""" + action + "}");
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.UnprocessableEntity, response.StatusCode);
        Assert.True((await response.JsonAsync()).GetProperty("errors").TryGetProperty(field, out _), text);
        Assert.DoesNotContain("X-Injected", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpSecretHeaders_ReachTheServer_AndAreMaskedInAnswersAndOutput()
    {
        const string secret = "Bearer header-secret-3a9";
        string? received = null;
        await using var target = await StartEchoServerAsync(request =>
        {
            received = request.Headers.Authorization;
            return $"you sent {received}";
        });
        var url = $"{target.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()}/hook";
        await PutAsync("secret-header", $$$"""
            {"schedule":{"kind":"manual"},
             "action":{"kind":"http","url":"{{{url}}}","headers":{"X-Plain":"p"},"secretHeaders":{"Authorization":"{{{secret}}}"}} }
            """);

        var attempt = await RunAsync("secret-header");

        Assert.Equal("succeeded", attempt.GetProperty("outcome").GetString());
        Assert.Equal(secret, received);
        Assert.Contains("you sent ***", attempt.GetProperty("output").GetString(), StringComparison.Ordinal);
        var get = await Http.GetStringAsync("/api/jobs/secret-header");
        Assert.DoesNotContain("header-secret-3a9", get, StringComparison.Ordinal);
        var job = await (await Http.GetAsync("/api/jobs/secret-header")).JsonAsync();
        Assert.Equal("***", job.GetProperty("action").GetProperty("secretHeaders").GetProperty("Authorization").GetString());
    }

    [Fact]
    public async Task DagStepSecrets_ReachTheStep_AndTheDagShowsMask()
    {
        const string secret = "dag-step-secret-88";
        var body = $$$"""
            {"steps":[{"id":"use","action":{"kind":"command","command":"sh","args":["-c",{{{JsonSerializer.Serialize(TokenIs(secret))}}}],"secrets":{"TOKEN":"{{{secret}}}"}} }]}
            """;
        await server.PutDagAsync("secret-dag", body);
        await server.PutDagAsync("secret-dag", body.Replace(secret + "\"}", "***\"}", StringComparison.Ordinal));

        var run = await server.WaitForRunAsync(await server.TriggerDagAsync("secret-dag"));

        Assert.Equal("succeeded", run.GetProperty("state").GetString());
        var dag = await Http.GetStringAsync("/api/dags/secret-dag");
        Assert.DoesNotContain(secret, dag, StringComparison.Ordinal);
        Assert.DoesNotContain("enc:v1:", dag, StringComparison.Ordinal);
        Assert.Contains("\"TOKEN\":\"***\"", dag, StringComparison.Ordinal);
    }

    private static async Task<WebApplication> StartEchoServerAsync(Func<HttpRequest, string> answer)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/hook", (HttpRequest request) => answer(request));
        await app.StartAsync();
        return app;
    }
}
