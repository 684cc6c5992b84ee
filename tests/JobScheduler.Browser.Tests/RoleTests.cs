using JobScheduler.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace JobScheduler.Browser.Tests;

/// <summary>The UI shows what REST allows: a viewer gets no buttons that change things, nobody sees another user's jobs.</summary>
[Collection(BrowserCollection.Name)]
public sealed class RoleTests(BrowserServer server)
{
    [Fact]
    public async Task Viewer_SeesNoChangeButtons_AndNotAnotherUsersJob()
    {
        const string owner = "ui-role-owner";
        const string viewer = "ui-role-viewer";
        await server.EnsureUserAsync(owner, "operator");
        await server.EnsureUserAsync(viewer, "viewer");
        await server.PutManualJobAsync("ui-owners-job", owner);
        var page = await server.NewPageAsync();
        await BrowserServer.LogInAsync(page, viewer, TestLogin.UserPassword);

        await Expect(page.GetByTestId("who")).ToHaveTextAsync("ui-role-viewer (viewer)");
        await Expect(page.GetByRole(AriaRole.Link, new() { Name = "Nodes" })).ToBeHiddenAsync();
        await page.GotoAsync("/#/jobs");
        await Expect(page.GetByTestId("jobs-empty")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("job-row-ui-owners-job")).ToHaveCountAsync(0);
        await Screenshots.TakeAsync(page, "jobs-viewer");

        // A link to it answers as REST does: not found.
        await page.GotoAsync("/#/jobs/ui-owners-job");
        await Expect(page.GetByRole(AriaRole.Alert)).ToHaveTextAsync("Not found (or not yours).");
        foreach (var name in new[] { "Pause", "Resume", "Trigger now", "Delete", "Cancel" })
        {
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = name })).ToHaveCountAsync(0);
        }
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Operator_DoesNotSeeAnotherOperatorsJob_ButAnAdminSeesBoth()
    {
        await server.EnsureUserAsync("ui-alice", "operator");
        await server.EnsureUserAsync("ui-bob", "operator");
        await server.PutManualJobAsync("ui-alices-job", "ui-alice");
        await server.PutManualJobAsync("ui-bobs-job", "ui-bob");

        var page = await server.NewPageAsync();
        await BrowserServer.LogInAsync(page, "ui-bob", TestLogin.UserPassword);
        await page.GotoAsync("/#/jobs");
        await Expect(page.GetByTestId("job-row-ui-bobs-job")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("job-row-ui-alices-job")).ToHaveCountAsync(0);
        await page.Context.CloseAsync();

        var admin = await server.NewPageAsync();
        await BrowserServer.LogInAsync(admin, TestLogin.Admin, TestLogin.AdminPassword);
        await admin.GotoAsync("/#/jobs?q=ui-");
        await Expect(admin.GetByTestId("job-row-ui-bobs-job")).ToBeVisibleAsync();
        await Expect(admin.GetByTestId("job-row-ui-alices-job")).ToContainTextAsync("ui-alice");
        await Screenshots.TakeAsync(admin, "jobs-admin");
        await admin.Context.CloseAsync();
    }

    [Fact]
    public async Task Admin_DrainsANode_AndOpensTheOrleansDashboard()
    {
        var page = await server.NewPageAsync();
        await BrowserServer.LogInAsync(page, TestLogin.Admin, TestLogin.AdminPassword);
        await Expect(page.GetByTestId("stats-jobs")).ToBeVisibleAsync();

        await page.GetByRole(AriaRole.Link, new() { Name = "Nodes" }).ClickAsync();
        var node = page.Locator("[data-testid^='node-row-']").First;
        await Expect(node.GetByTestId("node-state")).ToHaveTextAsync("active");
        await node.GetByRole(AriaRole.Button, new() { Name = "Drain" }).ClickAsync();
        await Expect(node.GetByTestId("node-state")).ToHaveTextAsync("draining");
        await Screenshots.TakeAsync(page, "nodes");
        await node.GetByRole(AriaRole.Button, new() { Name = "Activate" }).ClickAsync();
        await Expect(node.GetByTestId("node-state")).ToHaveTextAsync("active");

        // The login set the dashboard's cookie.
        await page.GetByRole(AriaRole.Link, new() { Name = "Orleans" }).ClickAsync();
        await Expect(page).ToHaveTitleAsync("Orleans Dashboard");
        await Expect(page.GetByText("Loading...")).ToBeHiddenAsync();
        await Expect(page.GetByText("Silos").First).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "orleans-dashboard");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task OrleansDashboard_SendsStrangersToLogin_RefusesOperators_AndReturnsAdminsThere()
    {
        await server.EnsureUserAsync("ui-dash-operator", "operator");
        var page = await server.NewPageAsync();
        await page.GotoAsync("/orleans/");
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Log in" })).ToBeVisibleAsync();
        await page.GetByLabel("Username").FillAsync("ui-dash-operator");
        await page.GetByLabel("Password").FillAsync(TestLogin.UserPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        var refused = await page.WaitForResponseAsync(r => r.Url.Contains("/orleans", StringComparison.Ordinal) && r.Request.IsNavigationRequest);
        Assert.Equal(403, refused.Status);
        await page.Context.CloseAsync();

        var admin = await server.NewPageAsync();
        await admin.GotoAsync("/orleans/");
        await admin.GetByLabel("Username").FillAsync(TestLogin.Admin);
        await admin.GetByLabel("Password").FillAsync(TestLogin.AdminPassword);
        await admin.GetByRole(AriaRole.Button, new() { Name = "Log in" }).ClickAsync();
        await Expect(admin).ToHaveTitleAsync("Orleans Dashboard");
        // The cookie is for the dashboard only: the REST API still wants a bearer token.
        var api = await admin.Context.APIRequest.GetAsync("/api/jobs");
        Assert.Equal(401, api.Status);
        await admin.Context.CloseAsync();
    }
}
