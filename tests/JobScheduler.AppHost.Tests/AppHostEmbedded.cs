namespace JobScheduler.AppHost.Tests;

/// <summary>
/// The app host given no PostgreSQL (an empty <c>ConnectionStrings:postgres</c>, whatever its user secrets say): the
/// dashboard and one embedded server, its SQLite file in a directory of this fixture's own (deleted afterwards).
/// </summary>
public sealed class AppHostEmbedded : IAsyncLifetime
{
    public const string Server = "jobscheduler";

    private readonly string _directory = Directory.CreateTempSubdirectory("jobscheduler-apphost-").FullName;

    public string SqlitePath => Path.Combine(_directory, "jobscheduler.db");

    public AppHostRun Run { get; private set; } = null!;

    public async Task InitializeAsync() =>
        Run = await AppHostRun.StartAsync(["--ConnectionStrings:postgres=", $"--JobScheduler:Sqlite:Path={SqlitePath}"], [Server], Server);

    public async Task DisposeAsync()
    {
        if (Run is not null)
        {
            await Run.DisposeAsync();
        }
        Directory.Delete(_directory, recursive: true);
    }
}
