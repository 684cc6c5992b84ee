using System.Globalization;

namespace JobScheduler.Benchmarks;

/// <summary>One workload's figures: one row of the main table (or of the scale table), and one object of the JSON.</summary>
internal sealed record WorkloadResult(
    string Workload,
    string Storage,
    string Submit,
    int Jobs,
    double SubmittedPerSecond,
    double? LatenessP50Ms,
    double? LatenessP95Ms,
    double? LatenessP99Ms,
    double? LatenessMaxMs,
    double? LastFinishedSeconds,
    double? ExecutionsPerSecond,
    int? Dropped)
{
    /// <summary>sustained: CPU of the benchmark process (server and client), percent of one core.</summary>
    public double? CpuPercent { get; init; }

    /// <summary>sustained: executions in history (<c>/api/stats</c>) before and after, and how many the run was due to add.</summary>
    public HistoryRows? History { get; init; }

    public ScaleResult? Scale { get; init; }

    /// <summary>rest: what an idle silo does per minute with the jobs stored.</summary>
    public RestResult? Rest { get; init; }

    /// <summary>dag: one run per shape (fan-out/fan-in, chain), each with its own stages and cost.</summary>
    public DagShapeResult[]? Dag { get; init; }

    public StageSummary[] Stages { get; init; } = [];

    /// <summary>Statements, commits and grain calls counted while the workload ran (see <see cref="CostTotals"/>).</summary>
    public CostTotals? Cost { get; init; }
}

/// <summary>sustained: execution records counted through the API.</summary>
internal sealed record HistoryRows(long Before, long After, long Expected, long FoundSucceeded)
{
    public long Written => After - Before;
}

/// <summary>The scale workload: creation rate, memory, and (SQLite, PostgreSQL) a restart of the server on the same database.</summary>
internal sealed record ScaleResult(
    int Jobs,
    double CreateSeconds,
    double HeapBeforeMiB,
    double HeapMiB,
    double WorkingSetMiB,
    double? StopSeconds = null,
    double? RestartReadySeconds = null,
    double? FiringAgainSeconds = null,
    double? HeapAfterRestartMiB = null,
    double? WorkingSetAfterRestartMiB = null);

internal static class Report
{
    public static double Percentile(IReadOnlyList<double> sorted, double p) =>
        sorted.Count == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];

    public static void Print(IReadOnlyList<WorkloadResult> results)
    {
        var timed = results.Where(r => r.Scale is null && r.Rest is null && r.Dag is null).ToArray();
        if (timed.Length > 0)
        {
            Console.WriteLine();
            Console.WriteLine("| workload | storage | submit | jobs | submitted/s | lateness p50 ms | p95 ms | p99 ms | max ms | last finished s | executions/s | dropped | write stmts/exec | read stmts/exec | grain calls/exec | batch mean |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var r in timed)
            {
                var c = r.Cost;
                Line($"| {r.Workload} | {r.Storage} | {r.Submit} | {r.Jobs} | {r.SubmittedPerSecond:0} | {r.LatenessP50Ms:0.0} | {r.LatenessP95Ms:0.0} | {r.LatenessP99Ms:0.0} | {r.LatenessMaxMs:0.0} | {r.LastFinishedSeconds:0.00} | {r.ExecutionsPerSecond:0} | {r.Dropped} | {Na(c?.WritesPerExecution, "0.00")} | {Na(c?.ReadsPerExecution, "0.00")} | {Na(c?.GrainCallsPerExecution, "0.00")} | {Na(c?.MeanBatchSize, "0.0")} |");
            }
            foreach (var r in timed.Where(r => r.History is not null))
            {
                var h = r.History!;
                Line($"\n{r.Workload} ({r.Storage}): CPU {r.CpuPercent:0}% of one core (server and client); history rows {h.Before} → {h.After} (+{h.Written}); {h.Expected} executions expected in the window, {h.FoundSucceeded} listed and succeeded, {r.Dropped} dropped");
            }
        }

        var scaled = results.Where(r => r.Scale is not null).ToArray();
        if (scaled.Length > 0)
        {
            Console.WriteLine();
            Console.WriteLine("| scale | storage | submit | jobs | create s | created/s | GC heap MiB before → after | bytes/job | working set MiB | stop s | restart ready s | firing again s | GC heap after restart MiB | working set after restart MiB | write stmts/job | read stmts/job | grain calls/job | batch mean |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var r in scaled)
            {
                var s = r.Scale!;
                var c = r.Cost;
                var perJob = (s.HeapMiB - s.HeapBeforeMiB) * 1024 * 1024 / s.Jobs;
                Line($"| scale | {r.Storage} | {r.Submit} | {s.Jobs} | {s.CreateSeconds:0.0} | {r.SubmittedPerSecond:0} | {s.HeapBeforeMiB:0} → {s.HeapMiB:0} | {perJob:0} | {s.WorkingSetMiB:0} | {Na(s.StopSeconds, "0.0")} | {Na(s.RestartReadySeconds, "0.0")} | {Na(s.FiringAgainSeconds, "0.0")} | {Na(s.HeapAfterRestartMiB, "0")} | {Na(s.WorkingSetAfterRestartMiB, "0")} | {Na(CostTotals.Per(c?.WriteStatements ?? 0, s.Jobs), "0.00")} | {Na(CostTotals.Per(c?.ReadStatements ?? 0, s.Jobs), "0.00")} | {Na(CostTotals.Per(c?.GrainCalls ?? 0, s.Jobs), "0.00")} | {Na(c?.MeanBatchSize, "0.0")} |");
            }
        }

        var rested = results.Where(r => r.Rest is not null).ToArray();
        if (rested.Length > 0)
        {
            Console.WriteLine();
            Console.WriteLine("| rest | storage | jobs stored | minutes | write stmts/min | read stmts/min | reminder rows read/min | grain calls/min | CPU % of one core | database rows read/min | database commits/min |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var r in rested)
            {
                var x = r.Rest!;
                Line($"| rest | {r.Storage} | {x.Jobs} | {x.Seconds / 60:0.0} | {x.WriteStatementsPerMinute:0} | {x.ReadStatementsPerMinute:0} | {x.ReminderRowsPerMinute:0} | {x.GrainCallsPerMinute:0} | {x.CpuPercent:0.0} | {Na(x.DatabaseRowsPerMinute, "0")} | {Na(x.DatabaseCommitsPerMinute, "0")} |");
            }
        }

        var dags = results.Where(r => r.Dag is not null).ToArray();
        if (dags.Length > 0)
        {
            Console.WriteLine();
            Console.WriteLine("| dag | storage | state | steps | edges waited | step-to-step p50 ms | p99 ms | max ms | mean ms | join ms | trigger → finished s | run own s | trigger answered ms | trigger → first action ms | last action → finished ms | dropped | write stmts/step | read stmts/step | grain calls/step | batch mean |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var r in dags)
            {
                foreach (var d in r.Dag!)
                {
                    var c = d.Cost;
                    Line($"| {d.Shape} | {r.Storage} | {d.State} | {d.Steps} | {d.Edges} | {d.StepToStepP50Ms:0.0} | {d.StepToStepP99Ms:0.0} | {d.StepToStepMaxMs:0.0} | {d.StepToStepMeanMs:0.0} | {Na(d.JoinMs, "0.0")} | {d.TriggerToFinishedSeconds:0.000} | {d.RunOwnSeconds:0.000} | {d.TriggerAnsweredMs:0.0} | {d.TriggerToFirstActionMs:0.0} | {d.LastActionToFinishedMs:0.0} | {d.Dropped} | {Na(c?.WritesPerExecution, "0.00")} | {Na(c?.ReadsPerExecution, "0.00")} | {Na(c?.GrainCallsPerExecution, "0.00")} | {Na(c?.MeanBatchSize, "0.0")} |");
                }
            }
        }

        foreach (var r in results)
        {
            if (r.Dag is { } shapes)
            {
                foreach (var d in shapes)
                {
                    PrintCostAndStages($"{r.Workload} {d.Shape}", r.Storage, d.Cost, d.Stages);
                }
                continue;
            }
            PrintCostAndStages(r.Workload, r.Storage, r.Cost, r.Stages);
        }
    }

    private static void PrintCostAndStages(string workload, string storage, CostTotals? cost, StageSummary[] stages)
    {
        Console.WriteLine();
        if (cost is not null)
        {
            Line($"cost — {workload} ({storage}): {cost.Executions} executions finished; statements {cost.WriteStatements} write, {cost.ReadStatements} read; {cost.WriteCommits} write commits (mean {Na(cost.MeanBatchSize, "0.0")}), {cost.ReadCommits} read batches (mean {Na(cost.MeanReadBatchSize, "0.0")}); grain calls {cost.GrainCalls}: {string.Join(", ", cost.GrainCallsByInterface.Select(g => $"{g.Key} {g.Value}"))}");
            Console.WriteLine();
        }
        if (stages.Length == 0)
        {
            Console.WriteLine($"stages — {workload} ({storage}): no stage metrics");
            return;
        }
        Console.WriteLine($"stages — {workload} ({storage}):");
        Console.WriteLine();
        Console.WriteLine("| stage | count | mean ms | p50 ms | p99 ms | max ms |");
        Console.WriteLine("|---|---|---|---|---|---|");
        foreach (var s in stages)
        {
            Line($"| {s.Stage} | {s.Count} | {s.MeanMs:0.00} | {s.P50Ms:0.00} | {s.P99Ms:0.00} | {s.MaxMs:0.00} |");
        }
    }

    private static string Na(double? value, string format) => value?.ToString(format, CultureInfo.InvariantCulture) ?? "n/a";

    private static void Line(FormattableString text) => Console.WriteLine(text.ToString(CultureInfo.InvariantCulture));
}
