using JobScheduler.Testing;

namespace JobScheduler.Chaos;

/// <summary>
/// The processes under test. <c>postgres</c>: a private PostgreSQL, three silo processes and an API process.
/// <c>sqlite</c>: the single-process default (silo and API in one) on a SQLite file.
/// </summary>
public sealed class ChaosCluster : IAsyncDisposable
{
    private static readonly TimeSpan ReadyPatience = TimeSpan.FromSeconds(120);

    private ChaosCluster(ChaosOptions options, PrivatePostgres? postgres)
    {
        Options = options;
        Postgres = postgres;
    }

    public ChaosOptions Options { get; }

    public PrivatePostgres? Postgres { get; }

    /// <summary>The silo processes (on sqlite, the one server).</summary>
    public List<ServerNode> Silos { get; } = [];

    /// <summary>The process answering the REST API (on sqlite, the one server).</summary>
    public ServerNode Api { get; private set; } = null!;

    public Uri ApiAddress => new($"http://127.0.0.1:{Api.HttpPort}");

    /// <summary>The faults this target can suffer (those of <see cref="ChaosOptions.Faults"/> only, when given).</summary>
    public IReadOnlyList<string> FaultKinds
    {
        get
        {
            string[] all = Postgres is null
                ? ["kill-server", "stop-server"]
                : SteppableClock.Library is null
                    ? ["kill-silo", "stop-silo", "kill-api", "restart-postgres"]
                    : ["kill-silo", "stop-silo", "kill-api", "restart-postgres", "step-clock"];
            return Options.Faults is { } chosen ? [.. all.Where(chosen.Contains)] : all;
        }
    }

    public static async Task<ChaosCluster> StartAsync(ChaosOptions options, string serverDll)
    {
        Directory.CreateDirectory(options.WorkDirectory);
        PrivatePostgres? postgres = null;
        if (options.Target == "postgres")
        {
            if (!PrivatePostgres.Available)
            {
                throw new InvalidOperationException("The postgres target needs PostgreSQL 15 under /usr/lib/postgresql/15/bin and root (it runs a private cluster as the postgres user).");
            }
            postgres = new PrivatePostgres(options.WorkDirectory);
            await postgres.StartAsync();
        }
        var cluster = new ChaosCluster(options, postgres);
        // Whatever ends this process (a test host stopping it, Ctrl+C, an exception nobody caught) ends its servers too.
        AppDomain.CurrentDomain.ProcessExit += (_, _) => cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
        try
        {
            string[] common =
            [
                .. TestLogin.ServerArgs,
                "--JobScheduler:Actions:Http:AllowedNetworks:0=127.0.0.0/8",
                "--JobScheduler:MaintenanceInterval=00:00:05",
                // The checker reads every execution of the run back: a per-second job runs 3,600 times an hour, more than
                // the default history of 1,000 per job, which would prune what it must see.
                "--JobScheduler:MaxExecutionsPerJob=1000000",
                // Every log line with its instant (UTC, to the millisecond), so a process's log can be laid beside
                // faults.json and the other logs (finding 14 could not be ordered without).
                "--Logging:Console:FormatterName=simple",
                "--Logging:Console:FormatterOptions:TimestampFormat=HH:mm:ss.fff ",
                "--Logging:Console:FormatterOptions:UseUtcTimestamp=true",
            ];
            if (postgres is not null)
            {
                string[] storage = ["--JobScheduler:Storage=Postgres", $"--ConnectionStrings:Postgres={postgres.ConnectionString}"];
                for (var i = 1; i <= 3; i++)
                {
                    cluster.Silos.Add(cluster.Node($"silo{i}", serverDll, [.. common, .. storage, "--JobScheduler:Role=Silo"], steppableClock: true));
                }
                cluster.Api = cluster.Node("api", serverDll, [.. common, .. storage, "--JobScheduler:Role=Api"]);
                // The first silo creates the schema alone; the others then start together.
                await cluster.StartReadyAsync(cluster.Silos[0]);
                await Task.WhenAll(cluster.Silos.Skip(1).Append(cluster.Api).Select(cluster.StartReadyAsync));
            }
            else
            {
                var server = cluster.Node("server", serverDll,
                    [.. common, "--JobScheduler:Storage=Sqlite", $"--JobScheduler:Sqlite:Path={Path.Combine(options.WorkDirectory, "jobscheduler.db")}"]);
                cluster.Silos.Add(server);
                cluster.Api = server;
                await cluster.StartReadyAsync(server);
            }
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts whatever a fault left stopped and waits until every process answers ready.</summary>
    public async Task HealAsync()
    {
        foreach (var node in Silos.Append(Api).Distinct())
        {
            node.Clock?.Set(TimeSpan.Zero);
            await node.ContinueAsync();
            if (!node.Running)
            {
                node.Start();
            }
        }
        foreach (var node in Silos.Append(Api).Distinct())
        {
            await node.WaitReadyAsync(ReadyPatience);
        }
    }

    private ServerNode Node(string name, string serverDll, string[] args, bool steppableClock = false) =>
        new(name, serverDll, Options.WorkDirectory, args, LoopbackPorts.Free(), LoopbackPorts.Free(), LoopbackPorts.Free(), steppableClock);

    private async Task StartReadyAsync(ServerNode node)
    {
        node.Start();
        if (!await node.WaitReadyAsync(ReadyPatience))
        {
            throw new InvalidOperationException($"{node.Name} was not ready within {ReadyPatience}; see {node.LogPath}");
        }
    }

    private int _disposed;

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }
        foreach (var node in Silos.Append(Api).Where(n => n is not null).Distinct())
        {
            await node.DisposeAsync();
        }
        if (Postgres is not null)
        {
            await Postgres.DisposeAsync();
        }
    }
}
