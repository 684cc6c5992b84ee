using JobScheduler.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace JobScheduler.Browser.Tests;

/// <summary>A phone-width window, and API data that looks like markup.</summary>
[Collection(BrowserCollection.Name)]
public sealed class LayoutTests(BrowserServer server)
{
    [Fact]
    public async Task PhoneWidth_ListsJobsAsCards_WithoutSidewaysScrolling()
    {
        const string user = "ui-phone";
        await server.EnsureUserAsync(user, "operator");
        await server.PutManualJobAsync("ui-phone-job", user);
        var page = await server.NewPageAsync(390, 844);
        await BrowserServer.LogInAsync(page, user, TestLogin.UserPassword);
        await Screenshots.TakeAsync(page, "overview-phone");

        await page.GotoAsync("/#/jobs");
        var row = page.GetByTestId("job-row-ui-phone-job");
        await Expect(row.GetByRole(AriaRole.Button, new() { Name = "Trigger now" })).ToBeVisibleAsync();
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the jobs page scrolls sideways at 390 px");
        // Cards: the column headers are hidden and each cell names its column.
        await Expect(page.Locator("thead")).ToBeHiddenAsync();
        await Screenshots.TakeAsync(page, "jobs-phone");

        await row.GetByRole(AriaRole.Button, new() { Name = "Trigger now" }).ClickAsync();
        await page.GotoAsync("/#/jobs/ui-phone-job");
        await Expect(page.GetByTestId("execution-row-state").First).ToHaveTextAsync("succeeded");
        Assert.True(await page.EvaluateAsync<bool>("() => document.documentElement.scrollWidth <= window.innerWidth"), "the job page scrolls sideways at 390 px");
        await Screenshots.TakeAsync(page, "job-phone");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task MarkupInAJobName_IsShownAsText_AndThePageHasAStrictPolicy()
    {
        const string user = "ui-xss";
        await server.EnsureUserAsync(user, "operator");
        const string name = "<img src=x onerror=\"document.title='pwned'\">";
        await server.SendAsync(HttpMethod.Put, "/api/jobs/ui-xss-job",
            System.Text.Json.JsonSerializer.Serialize(new { name, schedule = new { kind = "manual" }, action = new { kind = "handler", handler = "noop" } }), user);
        var page = await server.NewPageAsync();
        var response = await page.GotoAsync("/");
        Assert.Contains("script-src 'self'", response!.Headers["content-security-policy"], StringComparison.Ordinal);
        await BrowserServer.LogInAsync(page, user, TestLogin.UserPassword);

        await page.GotoAsync("/#/jobs");
        await Expect(page.GetByTestId("job-row-ui-xss-job")).ToContainTextAsync(name);
        await Expect(page.Locator("main img")).ToHaveCountAsync(0);
        await Expect(page).ToHaveTitleAsync("JobScheduler");
        await page.Context.CloseAsync();
    }
}
