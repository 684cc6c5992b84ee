using JobScheduler.Persistence.Postgres.Tests;

namespace JobScheduler.AppHost.Tests;

/// <summary>
/// The app host as an operator runs it against PostgreSQL (a fresh database here, dropped afterwards): the dashboard,
/// three silos and the API.
/// </summary>
public sealed class AppHostCluster : IAsyncLifetime
{
    public static readonly string[] Silos = ["silo1", "silo2", "silo3"];

    private readonly PostgresDatabase _database = new();

    public AppHostRun Run { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        Run = await AppHostRun.StartAsync([$"--ConnectionStrings:postgres={_database.ConnectionString}"], [.. Silos, "api"], "api");
    }

    public async Task DisposeAsync()
    {
        if (Run is not null)
        {
            await Run.DisposeAsync();
        }
        await _database.DisposeAsync();
    }
}
