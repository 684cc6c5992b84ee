using System.Diagnostics;
using System.Globalization;

namespace JobScheduler.Benchmarks;

/// <summary>
/// Many stored jobs that do not fire during the run (interval 1 day, first fires spread over the day after
/// tomorrow): creation rate and the memory they take; on SQLite and PostgreSQL, also a restart of the server on the
/// same database (for SQLite the same file: the first server must have let go of its lock).
/// </summary>
internal static class ScaleWorkload
{
    private const int Probes = 5;

    public static async Task<WorkloadResult> RunAsync(Bench bench)
    {
        var count = bench.Options.Quick ? 20_000 : 1_000_000;
        var heapBefore = HeapMiB();
        var firstFires = DateTimeOffset.UtcNow.Date.AddDays(2);
        var action = ActionSpec.RunHandler("noop");
        var clock = Stopwatch.StartNew();
        var submitted = await bench.SubmitAsync(count, i => ($"scale-{bench.Run}-{i}", new JobSpec
        {
            Schedule = ScheduleSpec.Interval(TimeSpan.FromDays(1), new DateTimeOffset(firstFires, TimeSpan.Zero) + TimeSpan.FromDays(1) * i / count),
            Action = action,
        }));
        var scale = new ScaleResult(count, clock.Elapsed.TotalSeconds, heapBefore, HeapMiB(), WorkingSetMiB());
        if (bench.Options.Storage != "memory")
        {
            scale = await RestartAsync(bench, scale);
        }
        return new WorkloadResult("scale", bench.Options.Storage, bench.SubmitName, count, submitted, null, null, null, null, null, null, null) { Scale = scale };
    }

    /// <summary>
    /// Stops the server and starts a fresh one on the same database. Ready: its <c>StartAsync</c> returned. Firing
    /// again: a once job submitted to it, due 1 s after it was ready, has succeeded. Also reported: when once jobs
    /// stored before the stop and due 1 s after it (so while the server was down or starting) ran.
    /// </summary>
    private static async Task<ScaleResult> RestartAsync(Bench bench, ScaleResult scale)
    {
        var stored = Enumerable.Range(0, Probes).Select(k => $"scale-{bench.Run}-stored-{k}").ToArray();
        var storedDue = DateTimeOffset.UtcNow.AddSeconds(1);
        foreach (var id in stored)
        {
            await bench.Client.ScheduleAsync(id, new JobSpec { Schedule = ScheduleSpec.OnceAt(storedDue), Action = ActionSpec.RunHandler("noop") });
        }
        var stopClock = Stopwatch.StartNew();
        await bench.Host.DisposeAsync();
        var stopSeconds = stopClock.Elapsed.TotalSeconds;

        var restartBegan = DateTimeOffset.UtcNow;
        var clock = Stopwatch.StartNew();
        bench.Host = await BenchHost.StartAsync(bench.Options);
        var ready = bench.Host.ServerStart.TotalSeconds;
        var freshDue = DateTimeOffset.UtcNow.AddSeconds(1);
        var fresh = $"scale-{bench.Run}-fresh";
        await bench.Client.ScheduleAsync(fresh, new JobSpec { Schedule = ScheduleSpec.OnceAt(freshDue), Action = ActionSpec.RunHandler("noop") });
        var freshRun = await bench.Client.WaitForCompletionAsync(ExecutionId.For(fresh, freshDue));
        var firing = clock.Elapsed.TotalSeconds;

        var storedRuns = await Task.WhenAll(stored.Select(id => bench.Client.WaitForCompletionAsync(ExecutionId.For(id, storedDue))));
        var storedStarts = storedRuns.Select(r => r.Attempts[0].StartedAt).ToArray();
        var early = storedStarts.Count(s => s < restartBegan);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  scale: restart — stopped in {stopSeconds:0.0} s, ready {ready:0.0} s after, a new once job (due 1 s after ready) succeeded {firing:0.0} s after ({freshRun.State}); " +
            $"{Probes} once jobs stored before the stop, due 1 s into it: {early} ran before the stop finished, the others {FormatRange(storedStarts.Where(s => s >= restartBegan).Select(s => (s - restartBegan).TotalSeconds))} s after the restart began"));
        return scale with
        {
            StopSeconds = stopSeconds,
            RestartReadySeconds = ready,
            FiringAgainSeconds = firing,
            HeapAfterRestartMiB = HeapMiB(),
            WorkingSetAfterRestartMiB = WorkingSetMiB(),
        };
    }

    private static string FormatRange(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count == 0 ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{list.Min():0.0}–{list.Max():0.0}");
    }

    /// <summary>Managed heap after a forced full collection.</summary>
    private static double HeapMiB() => GC.GetTotalMemory(forceFullCollection: true) / 1024.0 / 1024.0;

    private static double WorkingSetMiB() => Environment.WorkingSet / 1024.0 / 1024.0;
}
