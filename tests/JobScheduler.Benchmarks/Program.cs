// JobScheduler benchmark: starts the server in this process (in memory, or on PostgreSQL), drives it through the
// .NET SDK over the real gateway, and prints a markdown table (and optionally JSON). See docs/benchmarks.md.
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using JobScheduler;
using JobScheduler.Client;
using JobScheduler.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

var options = BenchmarkOptions.Parse(args);
Console.WriteLine($"JobScheduler benchmark — {(options.Quick ? "quick" : "full")}, storage {options.Storage}, workloads {string.Join(",", options.Workloads)}");

var gatewayPort = FreePort();
var serverArgs = new List<string>
{
    "--urls=http://127.0.0.1:0",
    "--environment=Production",
    $"--Orleans:SiloPort={FreePort()}",
    $"--Orleans:GatewayPort={gatewayPort}",
    "--Logging:LogLevel:Default=Warning",
    "--Logging:LogLevel:JobScheduler.Server.StartupBanner=Error",
};
if (options.Storage == "postgres")
{
    serverArgs.AddRange(["--JobScheduler:Storage=Postgres", $"--ConnectionStrings:Postgres={options.Connection}"]);
}
await using var server = JobSchedulerServer.Build([.. serverArgs]);
await server.StartAsync();

var clientBuilder = Host.CreateApplicationBuilder();
clientBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
clientBuilder.Services.AddJobSchedulerClient(o => o.Gateways = [$"127.0.0.1:{gatewayPort}"]);
using var clientHost = clientBuilder.Build();
await clientHost.StartAsync();
var client = clientHost.Services.GetRequiredService<IJobSchedulerClient>();

var run = DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture);
var results = new List<WorkloadResult>();
foreach (var workload in options.Workloads)
{
    var result = workload switch
    {
        "burst" => await Workloads.BurstAsync(client, options, run),
        "spread" => await Workloads.SpreadAsync(client, options, run),
        "immediate" => await Workloads.ImmediateAsync(client, options, run),
        "sustained" => await Workloads.SustainedAsync(client, options, run),
        _ => throw new ArgumentException($"Unknown workload '{workload}': burst, spread, immediate or sustained."),
    };
    results.Add(result with { Storage = options.Storage });
    Console.WriteLine($"  {workload} done");
}

Console.WriteLine();
Console.WriteLine("| workload | storage | jobs | submitted/s | lateness p50 ms | p95 ms | p99 ms | max ms | last finished s | executions/s |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|");
foreach (var r in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {r.Workload} | {r.Storage} | {r.Jobs} | {r.SubmittedPerSecond:0} | {r.LatenessP50Ms:0.0} | {r.LatenessP95Ms:0.0} | {r.LatenessP99Ms:0.0} | {r.LatenessMaxMs:0.0} | {r.LastFinishedSeconds:0.00} | {r.ExecutionsPerSecond:0} |"));
}
if (options.JsonPath is { } path)
{
    await File.WriteAllTextAsync(path, JsonSerializer.Serialize(results, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
    Console.WriteLine($"\nWrote {path}");
}

await clientHost.StopAsync();
await server.StopAsync();
return 0;

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

/// <summary>Command-line options; see docs/benchmarks.md.</summary>
internal sealed record BenchmarkOptions(bool Quick, string[] Workloads, string Storage, string? Connection, string? JsonPath)
{
    public static BenchmarkOptions Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var storage = (Value("--storage") ?? "memory").ToLowerInvariant();
        if (storage is not ("memory" or "postgres"))
        {
            throw new ArgumentException("--storage is memory or postgres.");
        }
        var connection = Value("--connection") ?? Environment.GetEnvironmentVariable("JOBSCHEDULER_BENCH_POSTGRES");
        if (storage == "postgres" && string.IsNullOrEmpty(connection))
        {
            throw new ArgumentException("--storage postgres needs --connection \"Host=…;Database=…\" (an empty database is best).");
        }
        var workloads = (Value("--workload") ?? "burst,spread,immediate,sustained").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return new BenchmarkOptions(quick, workloads, storage, connection, Value("--json"));
    }
}

/// <summary>One row of the table (and one object of the JSON).</summary>
internal sealed record WorkloadResult(
    string Workload,
    string Storage,
    int Jobs,
    double SubmittedPerSecond,
    double LatenessP50Ms,
    double LatenessP95Ms,
    double LatenessP99Ms,
    double LatenessMaxMs,
    double LastFinishedSeconds,
    double ExecutionsPerSecond);

internal static class Workloads
{
    private const int Concurrency = 64;

    /// <summary>N once jobs all due at the same instant a few seconds ahead.</summary>
    public static async Task<WorkloadResult> BurstAsync(IJobSchedulerClient client, BenchmarkOptions options, string run)
    {
        var count = options.Quick ? 1_000 : 10_000;
        var due = DateTimeOffset.UtcNow.AddSeconds(options.Quick ? 5 : 20);
        var submitted = await SubmitAsync(client, count, i => ($"burst-{run}-{i}", ScheduleSpec.OnceAt(due)));
        var executions = await WaitAllAsync(client, Enumerable.Range(0, count).Select(i => ExecutionId.For($"burst-{run}-{i}", due)));
        return Summarise("burst", count, submitted, executions, due);
    }

    /// <summary>N once jobs due uniformly over a window.</summary>
    public static async Task<WorkloadResult> SpreadAsync(IJobSchedulerClient client, BenchmarkOptions options, string run)
    {
        var count = options.Quick ? 500 : 2_000;
        var window = TimeSpan.FromSeconds(options.Quick ? 10 : 20);
        var start = DateTimeOffset.UtcNow.AddSeconds(5);
        DateTimeOffset DueOf(int i) => start + window * i / count;
        var submitted = await SubmitAsync(client, count, i => ($"spread-{run}-{i}", ScheduleSpec.OnceAt(DueOf(i))));
        var executions = await WaitAllAsync(client, Enumerable.Range(0, count).Select(i => ExecutionId.For($"spread-{run}-{i}", DueOf(i))));
        return Summarise("spread", count, submitted, executions, start);
    }

    /// <summary>N triggers of a manual job, as fast as they can be sent: end-to-end completions per second.</summary>
    public static async Task<WorkloadResult> ImmediateAsync(IJobSchedulerClient client, BenchmarkOptions options, string run)
    {
        var count = options.Quick ? 2_000 : 10_000;
        // Spread over jobs so that no job exceeds the default history of 1000 executions while the run lasts.
        const int JobCount = 20;
        for (var j = 0; j < JobCount; j++)
        {
            await client.ScheduleAsync($"immediate-{run}-{j}", new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("noop") });
        }
        var started = Stopwatch.StartNew();
        var ids = new string[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, _) => ids[i] = await client.TriggerAsync($"immediate-{run}-{i % JobCount}"));
        var submitted = count / started.Elapsed.TotalSeconds;
        var executions = await WaitAllAsync(client, ids);
        var elapsed = started.Elapsed.TotalSeconds;
        var result = Summarise("immediate", count, submitted, executions, executions.Min(e => e.ScheduledAt));
        return result with { ExecutionsPerSecond = count / elapsed };
    }

    /// <summary>
    /// A steady rate of executions (600/s, the 50-million-a-day figure; 200/s in quick mode): interval jobs whose fire
    /// times are spread evenly over one second, for a fixed duration. Reports lateness and the process's CPU use.
    /// </summary>
    public static async Task<WorkloadResult> SustainedAsync(IJobSchedulerClient client, BenchmarkOptions options, string run)
    {
        var perSecond = options.Quick ? 200 : 600;
        var duration = TimeSpan.FromSeconds(options.Quick ? 10 : 60);
        // The first whole second at least 5 s ahead, leaving time to submit the jobs.
        var ahead = DateTimeOffset.UtcNow.AddSeconds(5).UtcTicks;
        var startAt = new DateTimeOffset(ahead - ahead % TimeSpan.TicksPerSecond, TimeSpan.Zero).AddSeconds(1);
        DateTimeOffset FirstOf(int i) => startAt + TimeSpan.FromSeconds(1) * i / perSecond;
        var submitted = await SubmitAsync(client, perSecond, i => ($"sustained-{run}-{i}", ScheduleSpec.Interval(TimeSpan.FromSeconds(1), FirstOf(i))));
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var wallBefore = Stopwatch.StartNew();
        var seconds = (int)duration.TotalSeconds;
        var ids = Enumerable.Range(0, perSecond).SelectMany(i => Enumerable.Range(0, seconds).Select(k => ExecutionId.For($"sustained-{run}-{i}", FirstOf(i).AddSeconds(k))));
        var executions = await WaitAllAsync(client, ids);
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / wallBefore.Elapsed.TotalSeconds * 100;
        for (var i = 0; i < perSecond; i++)
        {
            await client.PauseAsync($"sustained-{run}-{i}");
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  sustained: {executions.Length} executions at {perSecond}/s for {seconds} s; benchmark process (server and client) CPU {cpu:0}% of one core"));
        return Summarise("sustained", executions.Length, submitted, executions, startAt);
    }

    private static async Task<double> SubmitAsync(IJobSchedulerClient client, int count, Func<int, (string Id, ScheduleSpec Schedule)> job)
    {
        var clock = Stopwatch.StartNew();
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (i, _) =>
        {
            var (id, schedule) = job(i);
            await client.ScheduleAsync(id, new JobSpec { Schedule = schedule, Action = ActionSpec.RunHandler("noop") });
        });
        return count / clock.Elapsed.TotalSeconds;
    }

    private static async Task<ExecutionInfo[]> WaitAllAsync(IJobSchedulerClient client, IEnumerable<string> ids)
    {
        var list = ids.ToArray();
        var results = new ExecutionInfo[list.Length];
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await Parallel.ForAsync(0, list.Length, new ParallelOptions { MaxDegreeOfParallelism = 256, CancellationToken = limit.Token },
            async (i, ct) => results[i] = await client.WaitForCompletionAsync(list[i], ct));
        return results;
    }

    private static WorkloadResult Summarise(string name, int count, double submitted, ExecutionInfo[] executions, DateTimeOffset reference)
    {
        var lateness = executions.Select(e => (e.Attempts[0].StartedAt - e.ScheduledAt).TotalMilliseconds).Order().ToArray();
        double Percentile(double p) => lateness[Math.Min(lateness.Length - 1, (int)Math.Ceiling(p * lateness.Length) - 1)];
        var failed = executions.Count(e => e.State != ExecutionState.Succeeded);
        if (failed > 0)
        {
            Console.WriteLine($"  warning: {failed} of {count} {name} executions did not succeed");
        }
        var lastFinished = (executions.Max(e => e.FinishedAt!.Value) - reference).TotalSeconds;
        return new WorkloadResult(name, "", count, submitted, Percentile(0.50), Percentile(0.95), Percentile(0.99), lateness[^1],
            lastFinished, count / Math.Max(0.001, (executions.Max(e => e.FinishedAt!.Value) - executions.Min(e => e.Attempts[0].StartedAt)).TotalSeconds));
    }
}
