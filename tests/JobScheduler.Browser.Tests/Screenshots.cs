using Microsoft.Playwright;

namespace JobScheduler.Browser.Tests;

/// <summary>Writes a viewport-sized PNG of a page to docs/ui/ (committed, linked from docs/ui.md), for people to look at.</summary>
internal static class Screenshots
{
    private static readonly string Directory = Path.Combine(RepositoryRoot(), "docs", "ui");

    public static async Task TakeAsync(IPage page, string name)
    {
        System.IO.Directory.CreateDirectory(Directory);
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(Directory, name + ".png"), FullPage = false });
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "JobScheduler.sln")))
            {
                return directory.FullName;
            }
        }
        return Path.GetTempPath();
    }
}
