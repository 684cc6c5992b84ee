using JobScheduler.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace JobScheduler.Browser.Tests;

/// <summary>An operator's day with jobs: log in, find a job made through the API, trigger it, watch it succeed; cancel a long run.</summary>
[Collection(BrowserCollection.Name)]
public sealed class JobFlowTests(BrowserServer server)
{
    [Fact]
    public async Task Operator_LogsIn_SeesTheJob_TriggersIt_AndWatchesItSucceed()
    {
        const string user = "ui-operator";
        await server.EnsureUserAsync(user, "operator");
        await server.PutManualJobAsync("ui-nightly-report", user, "sleep", new { ms = 300 });
        var page = await server.NewPageAsync();

        await BrowserServer.LogInAsync(page, user, TestLogin.UserPassword);
        await Expect(page.GetByTestId("who")).ToHaveTextAsync("ui-operator (operator)");

        await page.GetByRole(AriaRole.Link, new() { Name = "Jobs", Exact = true }).ClickAsync();
        var row = page.GetByTestId("job-row-ui-nightly-report");
        await Expect(row).ToContainTextAsync("active");
        await Screenshots.TakeAsync(page, "jobs");

        await row.GetByRole(AriaRole.Link, new() { Name = "ui-nightly-report" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "ui-nightly-report" })).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Trigger now" }).ClickAsync();

        // The trigger opens the new execution, which the page follows until it ends.
        await Expect(page).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("#/executions/ui-nightly-report"));
        await Expect(page.GetByTestId("execution-state")).ToHaveTextAsync("succeeded");
        await Expect(page.GetByTestId("attempt-1")).ToContainTextAsync("succeeded");
        await Expect(page.GetByTestId("output-tail")).ToHaveTextAsync("slept 300 ms");
        await Screenshots.TakeAsync(page, "execution");

        await page.GetByRole(AriaRole.Link, new() { Name = "ui-nightly-report", Exact = true }).ClickAsync();
        await Expect(page.GetByTestId("execution-row-state").First).ToHaveTextAsync("succeeded");
        await Screenshots.TakeAsync(page, "job");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Operator_PausesAndResumesAJob_FromTheList()
    {
        const string user = "ui-pauser";
        await server.EnsureUserAsync(user, "operator");
        await server.PutManualJobAsync("ui-pausable", user);
        var page = await server.NewPageAsync();
        await BrowserServer.LogInAsync(page, user, TestLogin.UserPassword);

        await page.GotoAsync("/#/jobs");
        var row = page.GetByTestId("job-row-ui-pausable");
        await row.GetByRole(AriaRole.Button, new() { Name = "Pause" }).ClickAsync();
        await Expect(row).ToContainTextAsync("paused");
        await page.GotoAsync("/#/jobs?state=paused");
        await Expect(page.GetByTestId("job-row-ui-pausable")).ToBeVisibleAsync();
        await page.GetByTestId("job-row-ui-pausable").GetByRole(AriaRole.Button, new() { Name = "Resume" }).ClickAsync();
        await Expect(page.GetByTestId("jobs-empty")).ToBeVisibleAsync();

        var job = await server.SendAsync(HttpMethod.Get, "/api/jobs/ui-pausable", user: user);
        Assert.Equal("active", job.GetProperty("state").GetString());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Operator_CancelsALongRun_AndItEndsCancelled()
    {
        const string user = "ui-canceller";
        await server.EnsureUserAsync(user, "operator");
        await server.PutManualJobAsync("ui-long-sleep", user, "sleep", new { ms = 600_000 });
        var execution = (await server.SendAsync(HttpMethod.Post, "/api/jobs/ui-long-sleep/trigger", user: user)).GetProperty("id").GetString()!;
        var page = await server.NewPageAsync();
        await BrowserServer.LogInAsync(page, user, TestLogin.UserPassword);

        await page.GotoAsync($"/#/executions/{Uri.EscapeDataString(execution)}");
        await Expect(page.GetByTestId("execution-state")).ToHaveTextAsync("running");
        await Screenshots.TakeAsync(page, "execution-running");
        await page.GetByRole(AriaRole.Button, new() { Name = "Cancel" }).ClickAsync();

        await Expect(page.GetByTestId("execution-state")).ToHaveTextAsync("cancelled");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Cancel" })).ToHaveCountAsync(0);
        var stored = await server.SendAsync(HttpMethod.Get, $"/api/executions/{Uri.EscapeDataString(execution)}", user: user);
        Assert.Equal("cancelled", stored.GetProperty("state").GetString());
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Operator_DeletesAJob_AfterConfirming()
    {
        const string user = "ui-deleter";
        await server.EnsureUserAsync(user, "operator");
        await server.PutManualJobAsync("ui-doomed", user);
        var page = await server.NewPageAsync();
        await BrowserServer.LogInAsync(page, user, TestLogin.UserPassword);

        await page.GotoAsync("/#/jobs");
        var row = page.GetByTestId("job-row-ui-doomed");
        await row.GetByRole(AriaRole.Button, new() { Name = "Delete" }).ClickAsync();
        // The first click only asks.
        await Expect(row).ToBeVisibleAsync();
        await row.GetByRole(AriaRole.Button, new() { Name = "Really delete ui-doomed?" }).ClickAsync();
        await Expect(page.GetByTestId("job-row-ui-doomed")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();
    }
}
