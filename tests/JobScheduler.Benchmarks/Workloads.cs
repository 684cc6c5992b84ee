using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using JobScheduler.Client;

namespace JobScheduler.Benchmarks;

/// <summary>
/// The timed workloads (all with the <see cref="ProbeHandler"/> action, which does nothing but note when it started):
/// burst, spread, immediate, sustained.
/// </summary>
internal static class Workloads
{
    private static readonly ActionSpec Noop = ActionSpec.RunHandler(ProbeHandler.Name);

    /// <summary>
    /// Before any measurement: 500 manual jobs submitted by the chosen path and 200 of them triggered and awaited, so
    /// that JIT compilation and first activations do not land on whichever workload comes first.
    /// </summary>
    public static async Task WarmUpAsync(Bench bench)
    {
        await bench.SubmitAsync(500, i => ($"warmup-{bench.Run}-{i}", new JobSpec { Schedule = ScheduleSpec.Manual(), Action = Noop }));
        var ids = new string[200];
        await Parallel.ForAsync(0, ids.Length, new ParallelOptions { MaxDegreeOfParallelism = Bench.SdkConcurrency },
            async (i, _) => ids[i] = await bench.Client.TriggerAsync($"warmup-{bench.Run}-{i}"));
        await WaitAllAsync(bench.Client, ids);
    }

    /// <summary>N once jobs all due at the same instant a few seconds ahead.</summary>
    public static async Task<WorkloadResult> BurstAsync(Bench bench)
    {
        var count = bench.Options.Quick ? 1_000 : 10_000;
        var due = DateTimeOffset.UtcNow.AddSeconds(bench.Options.Quick ? 5 : 20);
        var submitted = await bench.SubmitAsync(count, i => ($"burst-{bench.Run}-{i}", new JobSpec { Schedule = ScheduleSpec.OnceAt(due), Action = Noop }));
        var executions = await WaitAllAsync(bench.Client, Enumerable.Range(0, count).Select(i => ExecutionId.For($"burst-{bench.Run}-{i}", due)));
        return Summarise(bench, "burst", count, submitted, executions, due);
    }

    /// <summary>N once jobs due uniformly over a window.</summary>
    public static async Task<WorkloadResult> SpreadAsync(Bench bench)
    {
        var count = bench.Options.Quick ? 500 : 2_000;
        var window = TimeSpan.FromSeconds(bench.Options.Quick ? 10 : 20);
        var start = DateTimeOffset.UtcNow.AddSeconds(5);
        DateTimeOffset DueOf(int i) => start + window * i / count;
        var submitted = await bench.SubmitAsync(count, i => ($"spread-{bench.Run}-{i}", new JobSpec { Schedule = ScheduleSpec.OnceAt(DueOf(i)), Action = Noop }));
        var executions = await WaitAllAsync(bench.Client, Enumerable.Range(0, count).Select(i => ExecutionId.For($"spread-{bench.Run}-{i}", DueOf(i))));
        return Summarise(bench, "spread", count, submitted, executions, start);
    }

    /// <summary>Triggers in flight at once in the immediate workload.</summary>
    private const int TriggerConcurrency = 256;

    /// <summary>N triggers of manual jobs, as fast as they can be sent (SDK, 256 in flight): end-to-end completions per second.</summary>

    public static async Task<WorkloadResult> ImmediateAsync(Bench bench)
    {
        var count = bench.Options.Quick ? 2_000 : 10_000;
        // Ten triggers per job, as many jobs as that takes: a job handles one call at a time and writes its own state
        // for each trigger, so the triggers of one job are serialised (about a hundred a second on PostgreSQL), while
        // different jobs run in parallel. "Run now" traffic is mostly many jobs, each run now and then.
        var jobCount = count / 10;
        var created = await bench.Client.ScheduleManyAsync([.. Enumerable.Range(0, jobCount).Select(j =>
            new JobBatchItem($"immediate-{bench.Run}-{j}", new JobSpec { Schedule = ScheduleSpec.Manual(), Action = Noop }))]);
        if (created.Any(r => !r.IsStored))
        {
            throw new InvalidOperationException("The immediate workload's jobs could not be created.");
        }
        var started = Stopwatch.StartNew();
        var ids = new string[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = TriggerConcurrency },
            async (i, _) => ids[i] = await bench.Client.TriggerAsync($"immediate-{bench.Run}-{i % jobCount}"));
        var submitted = count / started.Elapsed.TotalSeconds;
        var executions = await WaitAllAsync(bench.Client, ids);
        var elapsed = started.Elapsed.TotalSeconds;
        var result = Summarise(bench, "immediate", count, submitted, executions, executions.Where(e => e is not null).Min(e => e!.ScheduledAt));
        return result with { Submit = "trigger", ExecutionsPerSecond = count / elapsed };
    }

    /// <summary>
    /// A steady rate of executions (600/s, the 50-million-a-day figure; 200/s in quick mode): interval jobs whose fire
    /// times are spread evenly over one second, for a fixed duration. Reports lateness, the process's CPU use, and
    /// the execution records written, counted through the API, with any expected one missing or not succeeded.
    /// </summary>
    public static async Task<WorkloadResult> SustainedAsync(Bench bench)
    {
        var perSecond = bench.Options.Quick ? 200 : 600;
        var seconds = bench.Options.Quick ? 10 : 60;
        var rowsBefore = await HistoryRowsAsync(bench);
        // The first whole second at least 5 s ahead, leaving time to submit the jobs.
        var ahead = DateTimeOffset.UtcNow.AddSeconds(5).UtcTicks;
        var startAt = new DateTimeOffset(ahead - ahead % TimeSpan.TicksPerSecond, TimeSpan.Zero).AddSeconds(1);
        DateTimeOffset FirstOf(int i) => startAt + TimeSpan.FromSeconds(1) * i / perSecond;
        string JobId(int i) => $"sustained-{bench.Run}-{i}";
        var submitted = await bench.SubmitAsync(perSecond, i => (JobId(i), new JobSpec { Schedule = ScheduleSpec.Interval(TimeSpan.FromSeconds(1), FirstOf(i)), Action = Noop }));
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var wallBefore = Stopwatch.StartNew();
        // In time order, so that no wait starts long before its execution is due.
        var ids = Enumerable.Range(0, seconds).SelectMany(k => Enumerable.Range(0, perSecond).Select(i => ExecutionId.For(JobId(i), FirstOf(i).AddSeconds(k))));
        var executions = await WaitAllAsync(bench.Client, ids);
        var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / wallBefore.Elapsed.TotalSeconds * 100;
        await Parallel.ForAsync(0, perSecond, new ParallelOptions { MaxDegreeOfParallelism = Bench.SdkConcurrency }, async (i, _) => await bench.Client.PauseAsync(JobId(i)));

        // Every execution of the window, listed per job through the API: it must exist and have succeeded.
        var found = 0;
        await Parallel.ForAsync(0, perSecond, new ParallelOptions { MaxDegreeOfParallelism = Bench.SdkConcurrency }, async (i, _) =>
        {
            var page = await bench.Client.ListExecutionsAsync(JobId(i), new ExecutionQuery
            {
                State = ExecutionState.Succeeded,
                From = FirstOf(i),
                To = FirstOf(i).AddSeconds(seconds),
                Limit = seconds + 10,
            });
            Interlocked.Add(ref found, page.Items.Length);
        });
        var rowsAfter = await HistoryRowsAsync(bench);
        var expected = perSecond * seconds;
        var result = Summarise(bench, "sustained", expected, submitted, executions, startAt);
        return result with
        {
            CpuPercent = cpu,
            History = new HistoryRows(rowsBefore, rowsAfter, expected, found),
            Dropped = Math.Max(result.Dropped ?? 0, expected - found),
        };
    }

    /// <summary>Executions kept in history, all states, from <c>GET /api/stats</c>; read until two reads 0.5 s apart agree (the query model may trail).</summary>
    private static async Task<long> HistoryRowsAsync(Bench bench)
    {
        long previous = -1;
        for (var i = 0; i < 20; i++)
        {
            var stats = JsonDocument.Parse(await bench.Host.Http.GetStringAsync("/api/stats"));
            var rows = stats.RootElement.GetProperty("executions").EnumerateObject().Sum(p => p.Value.GetInt64());
            if (rows == previous)
            {
                return rows;
            }
            previous = rows;
            await Task.Delay(500);
        }
        return previous;
    }

    /// <summary>Waits for every execution; one that never appears is null (dropped).</summary>
    private static async Task<ExecutionInfo?[]> WaitAllAsync(IJobSchedulerClient client, IEnumerable<string> ids)
    {
        var list = ids.ToArray();
        var results = new ExecutionInfo?[list.Length];
        using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await Parallel.ForAsync(0, list.Length, new ParallelOptions { MaxDegreeOfParallelism = 256, CancellationToken = limit.Token }, async (i, ct) =>
        {
            try
            {
                results[i] = await client.WaitForCompletionAsync(list[i], ct);
            }
            catch (JobNotFoundException)
            {
                results[i] = null;
            }
        });
        return results;
    }

    private static WorkloadResult Summarise(Bench bench, string name, int count, double submitted, ExecutionInfo?[] all, DateTimeOffset reference)
    {
        var executions = all.Where(e => e is { Attempts.Length: > 0, FinishedAt: not null }).Select(e => e!).ToArray();
        var dropped = all.Count(e => e is not { State: ExecutionState.Succeeded });
        if (dropped > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  warning: {dropped} of {count} {name} executions are missing or did not succeed"));
        }
        // When the action itself started (after the execution's first write), not the attempt's startedAt stamp.
        var lateness = executions.Select(e => ((ProbeHandler.StartOf(e.Id) ?? e.Attempts[0].StartedAt) - e.ScheduledAt).TotalMilliseconds).Order().ToArray();
        var lastFinished = executions.Max(e => e.FinishedAt!.Value);
        var firstStarted = executions.Min(e => e.Attempts[0].StartedAt);
        return new WorkloadResult(name, bench.Options.Storage, bench.SubmitName, count, submitted,
            Report.Percentile(lateness, 0.50), Report.Percentile(lateness, 0.95), Report.Percentile(lateness, 0.99), lateness[^1],
            (lastFinished - reference).TotalSeconds, count / Math.Max(0.001, (lastFinished - firstStarted).TotalSeconds), dropped);
    }
}
