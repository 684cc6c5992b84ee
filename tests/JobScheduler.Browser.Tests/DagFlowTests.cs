using System.Text.RegularExpressions;
using JobScheduler.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace JobScheduler.Browser.Tests;

/// <summary>A DAG whose first step fails: the graph shows the failure and the skipped dependants, the side branch succeeding.</summary>
[Collection(BrowserCollection.Name)]
public sealed class DagFlowTests(BrowserServer server)
{
    private const string FailingDag = """
        {"schedule":{"kind":"manual"},"steps":[
          {"id":"extract","action":{"kind":"handler","handler":"sleep","payload":{"ms":-1}}},
          {"id":"transform","dependsOn":["extract"],"action":{"kind":"handler","handler":"noop"}},
          {"id":"load","dependsOn":["transform"],"action":{"kind":"handler","handler":"noop"}},
          {"id":"audit","action":{"kind":"handler","handler":"noop"}}]}
        """;

    [Fact]
    public async Task FailedStep_IsDrawnFailed_AndItsDependantsSkipped()
    {
        const string user = "ui-dag-operator";
        await server.EnsureUserAsync(user, "operator");
        await server.SendAsync(HttpMethod.Put, "/api/dags/ui-etl", FailingDag, user);
        var page = await server.NewPageAsync();
        await BrowserServer.LogInAsync(page, user, TestLogin.UserPassword);

        await page.GetByRole(AriaRole.Link, new() { Name = "DAGs" }).ClickAsync();
        await Expect(page.GetByTestId("dag-row-ui-etl")).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "dags");
        await page.GetByRole(AriaRole.Link, new() { Name = "ui-etl" }).ClickAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Trigger now" }).ClickAsync();

        await Expect(page).ToHaveURLAsync(new Regex("#/dag-runs/ui-etl"));
        await Expect(page.GetByTestId("dag-run-state")).ToHaveTextAsync("failed");
        await Expect(page.GetByTestId("dag-step-extract")).ToHaveAttributeAsync("data-state", "failed");
        await Expect(page.GetByTestId("dag-step-transform")).ToHaveAttributeAsync("data-state", "skipped");
        await Expect(page.GetByTestId("dag-step-load")).ToHaveAttributeAsync("data-state", "skipped");
        await Expect(page.GetByTestId("dag-step-audit")).ToHaveAttributeAsync("data-state", "succeeded");
        await Expect(page.GetByTestId("dag-step-row-transform")).ToContainTextAsync("skipped");
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Retry failed steps" })).ToBeVisibleAsync();
        await Screenshots.TakeAsync(page, "dag-run");

        // The failed node opens its execution, with the handler's error.
        await page.GetByTestId("dag-step-extract").ClickAsync();
        await Expect(page.GetByTestId("execution-state")).ToHaveTextAsync("failed");
        await Expect(page.GetByTestId("attempt-1")).ToContainTextAsync("must not be negative");

        await page.GotoAsync("/#/dags/ui-etl");
        await Expect(page.Locator("[data-testid^='dag-run-row-']").First).ToContainTextAsync("failed");
        await Screenshots.TakeAsync(page, "dag");
        await page.Context.CloseAsync();
    }
}
