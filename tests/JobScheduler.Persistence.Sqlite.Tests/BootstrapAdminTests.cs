using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using JobScheduler.Testing;

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>
/// The first start of a server given no admin password: it creates <c>admin</c> with a generated password written once
/// to the log, never again on later starts; the generated signing key is kept in the file, so a token outlives a restart.
/// </summary>
public sealed partial class BootstrapAdminTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"jobscheduler-bootstrap-{Guid.NewGuid():n}");

    public void Dispose()
    {
        if (Directory.Exists(_directory))
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    [GeneratedRegex(@"generated password (\S+) ")]
    private static partial Regex GeneratedPassword();

    [Fact]
    public async Task FirstStart_PrintsTheGeneratedAdminPasswordOnce_AndTokensOutliveARestart()
    {
        await using var server = ServerProcess.OnSqliteWithGeneratedAdmin(Path.Combine(_directory, "db.sqlite"));
        await server.StartAsync();
        var firstLog = await File.ReadAllTextAsync(server.LogPath);
        var password = Assert.Single(GeneratedPassword().Matches(firstLog)).Groups[1].Value;
        Assert.True(password.Length >= 24);

        var token = await LoginAsync(server, password);
        Assert.Equal(HttpStatusCode.OK, await GetJobsAsync(server, token));

        await server.KillAsync();
        await server.StartAsync();

        var log = await File.ReadAllTextAsync(server.LogPath);
        Assert.Single(GeneratedPassword().Matches(log));
        Assert.Equal(2, Regex.Matches(log, "JobScheduler started").Count);
        Assert.Equal(HttpStatusCode.OK, await GetJobsAsync(server, token));
        Assert.Equal(HttpStatusCode.OK, await GetJobsAsync(server, await LoginAsync(server, password)));
    }

    private static async Task<string> LoginAsync(ServerProcess server, string password)
    {
        using var response = await server.Http.PostAsJsonAsync("/api/auth/token", new { username = TestLogin.Admin, password });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("accessToken").GetString()!;
    }

    private static async Task<HttpStatusCode> GetJobsAsync(ServerProcess server, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/api/jobs");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await server.Http.SendAsync(request);
        return response.StatusCode;
    }
}
