using Deque.AxeCore.Playwright;
using JobScheduler.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace JobScheduler.Browser.Tests;

/// <summary>axe-core finds nothing serious or critical on the main pages (labels, contrast, roles, names).</summary>
[Collection(BrowserCollection.Name)]
public sealed class AccessibilityTests(BrowserServer server)
{
    [Fact]
    public async Task MainPages_HaveNoSeriousOrCriticalAccessibilityFindings()
    {
        await server.PutManualJobAsync("ui-a11y-job", TestLogin.Admin);
        var execution = (await server.SendAsync(HttpMethod.Post, "/api/jobs/ui-a11y-job/trigger")).GetProperty("id").GetString()!;
        await server.SendAsync(HttpMethod.Put, "/api/dags/ui-a11y-dag",
            """{"schedule":{"kind":"manual"},"steps":[{"id":"a","action":{"kind":"handler","handler":"noop"}},{"id":"b","dependsOn":["a"],"action":{"kind":"handler","handler":"noop"}}]}""");
        var run = (await server.SendAsync(HttpMethod.Post, "/api/dags/ui-a11y-dag/trigger")).GetProperty("id").GetString()!;
        var page = await server.NewPageAsync();
        await page.GotoAsync("/#/login");
        var findings = new List<string>();
        await CheckAsync(page, "login", findings);
        await BrowserServer.LogInAsync(page, TestLogin.Admin, TestLogin.AdminPassword);

        foreach (var (name, path, ready) in new (string, string, string)[]
        {
            ("overview", "/#/", "stats-jobs"),
            ("jobs", "/#/jobs", "job-row-ui-a11y-job"),
            ("job", "/#/jobs/ui-a11y-job", "execution-row-state"),
            ("execution", $"/#/executions/{Uri.EscapeDataString(execution)}", "execution-state"),
            ("dag run", $"/#/dag-runs/{Uri.EscapeDataString(run)}", "dag-graph"),
            ("nodes", "/#/nodes", "node-state"),
        })
        {
            await page.GotoAsync(path);
            await Expect(page.GetByTestId(ready).First).ToBeVisibleAsync();
            await CheckAsync(page, name, findings);
        }
        Assert.True(findings.Count == 0, string.Join("\n", findings));
        await page.Context.CloseAsync();
    }

    private static async Task CheckAsync(IPage page, string name, List<string> findings)
    {
        var result = await page.RunAxe();
        findings.AddRange(result.Violations
            .Where(v => v.Impact is "serious" or "critical")
            .Select(v => $"{name}: {v.Id} ({v.Impact}) {v.Help}: {string.Join(", ", v.Nodes.Take(3).Select(n => n.Html))}"));
    }
}
