using System.Text.RegularExpressions;
using JobScheduler.Testing;
using static Microsoft.Playwright.Assertions;

namespace JobScheduler.Browser.Tests;

/// <summary>The overview counts what ran: runs, failures and fire lateness from the caller's jobs, and the cluster's counts for admins.</summary>
[Collection(BrowserCollection.Name)]
public sealed class OverviewTests(BrowserServer server)
{
    [Fact]
    public async Task Overview_CountsRunsFailuresAndLateness_OfTheCallersJobs()
    {
        const string user = "ui-overview";
        await server.EnsureUserAsync(user, "operator");
        await server.SendAsync(HttpMethod.Put, "/api/jobs/ui-every-half-second",
            """{"schedule":{"kind":"interval","every":"PT0.5S"},"action":{"kind":"handler","handler":"noop"}}""", user);
        await server.PutManualJobAsync("ui-always-fails", user, "sleep", new { ms = -1 });
        await server.SendAsync(HttpMethod.Post, "/api/jobs/ui-always-fails/trigger", user: user);
        await server.SendAsync(HttpMethod.Post, "/api/jobs/ui-always-fails/trigger", user: user);
        var page = await server.NewPageAsync();
        await BrowserServer.LogInAsync(page, user, TestLogin.UserPassword);

        // Scheduled fires of the interval job have a lateness; the two failed triggers are counted. The page computes
        // once per visit, so it is reloaded until the executions have ended (.NET Playwright has no ToPass).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            await page.ReloadAsync();
            await Expect(page.GetByTestId("overview-failures")).ToBeVisibleAsync();
            var failures = await page.GetByTestId("overview-failures").TextContentAsync();
            var p50 = await page.GetByTestId("overview-p50").TextContentAsync() ?? "";
            if (failures == "2" && Regex.IsMatch(p50, @"^\d+ ms$"))
            {
                break;
            }
            Assert.True(DateTime.UtcNow < deadline, $"the overview still shows {failures} failures and lateness p50 {p50}");
            await Task.Delay(500);
        }
        var runs = int.Parse(await page.GetByTestId("overview-runs").TextContentAsync() ?? "0", System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(runs >= 3, $"runs in the last hour: {runs}");
        await Expect(page.GetByTestId("stats-jobs")).ToHaveCountAsync(0);
        await Screenshots.TakeAsync(page, "overview");
        await server.SendAsync(HttpMethod.Post, "/api/jobs/ui-every-half-second/pause", user: user);
        await page.Context.CloseAsync();
    }
}
