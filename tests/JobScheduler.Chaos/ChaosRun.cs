using System.Text.Json;

namespace JobScheduler.Chaos;

/// <summary>
/// One chaos run end to end: start the target, set up the workload, run it under seeded faults for the duration, heal
/// everything, pause the recurring jobs, let the cluster settle, run the <see cref="Checker"/>, stop every process.
/// </summary>
public static class ChaosRun
{
    public static async Task<ChaosReport> RunAsync(ChaosOptions options)
    {
        var log = options.Log;
        Directory.CreateDirectory(options.WorkDirectory);
        var serverDll = options.ServerDll ?? FindServerDll();
        log($"chaos: target {options.Target}, seed {options.Seed}, duration {options.Duration}, work directory {options.WorkDirectory}");
        await using var recorder = new ActionRecorder(Path.Combine(options.WorkDirectory, "actions.jsonl"));
        recorder.Start();
        await using var cluster = await ChaosCluster.StartAsync(options, serverDll);
        using var api = new ChaosApi(cluster.ApiAddress);
        var ledger = new WorkloadLedger();
        var workload = new Workload(api, recorder, ledger, new Random(options.Seed + 1), log);
        await workload.SetUpAsync();
        log($"chaos: cluster up at {cluster.ApiAddress}, workload set up; faults begin");

        var injector = new FaultInjector(cluster, workload, api, new Random(options.Seed), log);
        var probe = new ApiProbe(api, [.. new[] { "cron-a", "cron-b", "cron-reserving", "interval-2s", "interval-3s", "retry", "timeout", "cancel", "burst" }.Select(j => $"/api/jobs/{j}")]);
        using var stopWorkload = new CancellationTokenSource();
        using var stopProbe = new CancellationTokenSource();
        var started = DateTimeOffset.UtcNow;
        var running = workload.RunAsync(stopWorkload.Token);
        var probing = probe.RunAsync(stopProbe.Token);
        try
        {
            await injector.RunAsync(started + options.Duration);
        }
        finally
        {
            injector.Save(Path.Combine(options.WorkDirectory, "faults.json"));
        }
        var chaosTime = DateTimeOffset.UtcNow - started;
        log("chaos: faults over; healing and stopping the workload");
        await cluster.HealAsync();
        await stopWorkload.CancelAsync();
        await running;
        await workload.PauseRecurringAsync();
        log($"chaos: settling for {options.Settle}");
        await Task.Delay(options.Settle);
        await stopProbe.CancelAsync();
        await probing;
        ledger.Save(Path.Combine(options.WorkDirectory, "workload.json"));

        log("chaos: checking");
        var checker = new Checker(api, options.WorkDirectory, cluster.Postgres?.ConnectionString, log);
        await checker.RunAsync();
        var report = new ChaosReport(options, chaosTime, injector.Faults, checker.Violations, checker.Reruns, checker.Fires, checker.ActionFailures, probe.Outages(),
            checker.JobsChecked, checker.ExecutionsChecked, checker.DagRunsChecked, checker.ActionCalls);
        File.WriteAllText(Path.Combine(options.WorkDirectory, "report.txt"), report.ToString());
        File.WriteAllText(Path.Combine(options.WorkDirectory, "reruns.json"), JsonSerializer.Serialize(checker.Reruns));
        File.WriteAllText(Path.Combine(options.WorkDirectory, "fires.json"), JsonSerializer.Serialize(checker.Fires));
        File.WriteAllText(Path.Combine(options.WorkDirectory, "outages.json"), JsonSerializer.Serialize(report.Outages));
        return report;
    }

    private static string FindServerDll()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "JobScheduler.sln")))
        {
            directory = directory.Parent;
        }
        var configuration = AppContext.BaseDirectory.Contains("/Release/", StringComparison.Ordinal) ? "Release" : "Debug";
        var path = directory is null ? "" : Path.Combine(directory.FullName, "src", "JobScheduler.Server", "bin", configuration, "net10.0", "JobScheduler.Server.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the server first (dotnet build JobScheduler.sln -c Release), or pass --server-dll.", path);
    }
}
