using System.Diagnostics;
using System.Globalization;

namespace JobScheduler.Benchmarks;

/// <summary>
/// DAG runs, one shape at a time, each triggered once and awaited: a fan-out/fan-in (<c>root → N parallel → join</c>,
/// 1,000 steps; 200 in quick mode) and a chain (100 steps; 20). Every step runs the <see cref="ProbeHandler"/>, which
/// notes when its action really started and ended. Step-to-step latency is measured per step that had to wait: its
/// action's start minus the end of its last upstream step's action (a branch: the root's; the join: the last branch
/// to end; a chain link: the previous link's). The SDK has no DAG calls yet, so the DAG and run grains are called
/// through the SDK's Orleans client (the same gateway).
/// </summary>
internal static class DagWorkload
{
    private static readonly ActionSpec Probe = ActionSpec.RunHandler(ProbeHandler.Name);

    /// <summary>How long one run may take before the workload gives up on it.</summary>
    private static readonly TimeSpan RunLimit = TimeSpan.FromMinutes(10);

    /// <summary>After a run ends, the time its trailing work (the DAG's own bookkeeping of the run) is given before the counters are read.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(500);

    public static async Task<WorkloadResult> RunAsync(Bench bench, StageMetrics stages)
    {
        var branches = bench.Options.Quick ? 198 : 998;
        var links = bench.Options.Quick ? 20 : 100;
        // The DAG grains' code paths are not warmed by the job warm-up: a small run of both shapes first, not measured.
        await RunShapeAsync(bench, stages, "warm-up", $"dag-warmup-{bench.Run}", [.. FanOut(10), .. Chain(5, "c")]);
        var fanOut = await RunShapeAsync(bench, stages, "fan-out", $"dag-fan-{bench.Run}", FanOut(branches));
        var chain = await RunShapeAsync(bench, stages, "chain", $"dag-chain-{bench.Run}", Chain(links));
        DagShapeResult[] shapes = [fanOut, chain];
        return new WorkloadResult("dag", bench.Options.Storage, "trigger", shapes.Sum(s => s.Steps), 0, null, null, null, null, null, null,
            shapes.Sum(s => s.Dropped))
        {
            Dag = shapes,
        };
    }

    /// <summary><c>root → b0 … b(n-1) → join</c>: n + 2 steps.</summary>
    private static DagStepSpec[] FanOut(int branches)
    {
        var ids = Enumerable.Range(0, branches).Select(i => $"b{i}").ToArray();
        return [Step("root"), .. ids.Select(id => Step(id, "root")), Step("join", ids)];
    }

    /// <summary><c>{prefix}0 → {prefix}1 → …</c>: <paramref name="links"/> steps.</summary>
    private static DagStepSpec[] Chain(int links, string prefix = "s") =>
        [.. Enumerable.Range(0, links).Select(i => i == 0 ? Step($"{prefix}0") : Step($"{prefix}{i}", $"{prefix}{i - 1}"))];

    private static DagStepSpec Step(string id, params string[] dependsOn) => new() { Id = id, Action = Probe, DependsOn = dependsOn };

    private static async Task<DagShapeResult> RunShapeAsync(Bench bench, StageMetrics stages, string shape, string dagId, DagStepSpec[] steps)
    {
        var dag = bench.Host.Grains.GetGrain<IDagGrain>(dagId);
        var put = await dag.PutAsync(new DagSpec { Name = $"benchmark {shape}", Steps = steps }, "benchmark", createOnly: true);
        if (!put.IsValid)
        {
            throw new InvalidOperationException($"DAG {dagId} was refused: {string.Join("; ", put.Errors.Select(e => $"{e.Field}: {e.Message}"))}");
        }
        // The counters and stages from here on are the run's (the DAG's creation is not part of it).
        stages.TakeSnapshot();
        var clock = Stopwatch.StartNew();
        var triggered = DateTimeOffset.UtcNow;
        var trigger = await dag.TriggerAsync(null);
        var runId = trigger.Run?.Id ?? throw new InvalidOperationException($"DAG {dagId} did not start a run: {string.Join("; ", trigger.Errors.Select(e => e.Message))}");
        var answered = clock.Elapsed;
        var run = await WaitAsync(bench.Host.Grains.GetGrain<IDagRunGrain>(runId), clock);
        var seen = clock.Elapsed;
        await Task.Delay(Settle);
        var (stageSummaries, cost) = stages.TakeSnapshot();

        var byId = run.Steps.ToDictionary(s => s.Id, StringComparer.Ordinal);
        DateTimeOffset? StartOf(string stepId) => byId[stepId].ExecutionId is { } id ? ProbeHandler.StartOf(id) : null;
        DateTimeOffset? EndOf(string stepId) => byId[stepId].ExecutionId is { } id ? ProbeHandler.EndOf(id) : null;
        var dropped = run.Steps.Count(s => s.State != StepState.Succeeded || StartOf(s.Id) is null || EndOf(s.Id) is null);
        if (dropped > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  warning: {dropped} of {steps.Length} steps of the {shape} run ({run.State}) did not succeed or left no probe note"));
        }
        var latencies = steps
            .Where(s => s.DependsOn is { Length: > 0 })
            .Select(s => (s.Id!, Start: StartOf(s.Id!), UpstreamEnd: s.DependsOn!.Select(EndOf).Max()))
            .Where(e => e.Start is not null && e.UpstreamEnd is not null)
            .Select(e => (e.Item1, Ms: (e.Start!.Value - e.UpstreamEnd!.Value).TotalMilliseconds))
            .ToArray();
        var sorted = latencies.Select(e => e.Ms).Order().ToArray();
        var finishedAt = run.FinishedAt ?? triggered + seen;
        var actions = run.Steps.Select(s => (Start: StartOf(s.Id), End: EndOf(s.Id))).Where(a => a.Start is not null && a.End is not null).ToArray();
        return new DagShapeResult(
            shape,
            run.State.ToString().ToLowerInvariant(),
            steps.Length,
            sorted.Length,
            sorted.Length > 0 ? sorted.Average() : double.NaN,
            Report.Percentile(sorted, 0.50),
            Report.Percentile(sorted, 0.99),
            sorted.Length > 0 ? sorted[^1] : double.NaN,
            latencies.Where(e => e.Item1 == "join").Select(e => (double?)e.Ms).FirstOrDefault(),
            (finishedAt - triggered).TotalSeconds,
            (finishedAt - run.StartedAt).TotalSeconds,
            seen.TotalSeconds,
            answered.TotalMilliseconds,
            actions.Length > 0 ? (actions.Min(a => a.Start!.Value) - triggered).TotalMilliseconds : double.NaN,
            actions.Length > 0 ? (finishedAt - actions.Max(a => a.End!.Value)).TotalMilliseconds : double.NaN,
            dropped)
        {
            Stages = stageSummaries,
            Cost = cost,
        };
    }

    private static async Task<DagRunInfo> WaitAsync(IDagRunGrain runGrain, Stopwatch clock)
    {
        while (true)
        {
            var run = await runGrain.WaitAsync(TimeSpan.FromSeconds(30)) ?? throw new InvalidOperationException("The run disappeared.");
            if (run.IsTerminal)
            {
                return run;
            }
            if (clock.Elapsed > RunLimit)
            {
                throw new TimeoutException($"DAG run {run.Id} still {run.State} after {RunLimit}: " +
                    $"{run.Steps.Count(s => s.IsDone)} of {run.Steps.Length} steps done.");
            }
        }
    }
}
