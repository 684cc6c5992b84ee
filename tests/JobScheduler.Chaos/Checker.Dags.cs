using System.Text.Json;

namespace JobScheduler.Chaos;

/// <summary>The checker's DAG run invariants: each run succeeded, its steps agree with their executions, and no step started before its upstream condition held.</summary>
public sealed partial class Checker
{
    private async Task CheckDagRunsAsync(WorkloadLedger ledger)
    {
        var runs = await api.ListAllAsync($"/api/dags/{Workload.DagId}/runs");
        var known = runs.Select(r => r.GetProperty("id").GetString()!).ToHashSet(StringComparer.Ordinal);
        var triggers = ledger.Triggers.Where(t => t.Dag).ToList();
        var asked = triggers.Where(t => t.Acknowledged).Select(t => t.AnsweredIds[0]).ToHashSet(StringComparer.Ordinal);
        foreach (var missing in asked.Where(id => !known.Contains(id)))
        {
            Add("dag-run-lost", missing, "acknowledged by a trigger, not among the DAG's runs");
        }
        var unasked = known.Count(id => !asked.Contains(id));
        if (unasked > triggers.Count(t => !t.Acknowledged))
        {
            Add("unasked-dag-run", Workload.DagId, $"{unasked} runs no acknowledged trigger names");
        }
        foreach (var runId in known)
        {
            var answer = await api.PersistAsync(() => api.GetAsync($"/api/dag-runs/{Uri.EscapeDataString(runId)}"), TimeSpan.FromSeconds(60));
            if (!answer.Ok)
            {
                Add("dag-run-lost", runId, $"GET answered {answer.Status}");
                continue;
            }
            DagRunsChecked++;
            var run = answer.Json;
            if (run.GetProperty("state").GetString() != "succeeded")
            {
                Add("dag-run-outcome", runId, $"ended {run.GetProperty("state").GetString()}: {run.GetRawText()}");
            }
            var listedState = runs.First(r => r.GetProperty("id").GetString() == runId).GetProperty("state").GetString();
            if (listedState != run.GetProperty("state").GetString())
            {
                Add("query-model", runId, $"run listed {listedState}, GET says {run.GetProperty("state").GetString()}");
            }
            var steps = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (var step in run.GetProperty("steps").EnumerateArray())
            {
                var stepId = step.GetProperty("id").GetString()!;
                if (step.TryGetProperty("executionId", out var e) && e.ValueKind == JsonValueKind.String && await DetailAsync(e.GetString()!) is { } execution)
                {
                    steps[stepId] = execution;
                    if (step.GetProperty("state").GetString() != execution.GetProperty("state").GetString())
                    {
                        Add("query-model", $"{runId}/{stepId}", $"step {step.GetProperty("state").GetString()}, its execution {execution.GetProperty("state").GetString()}");
                    }
                }
                else
                {
                    Add("dag-step", $"{runId}/{stepId}", $"no execution: {step.GetRawText()}");
                }
            }
            CheckUpstream(runId, steps, "split", [.. Workload.DagParts]);
            foreach (var part in Workload.DagParts)
            {
                CheckUpstream(runId, steps, part, ["split"]);
            }
            CheckUpstream(runId, steps, "join", [.. Workload.DagParts]);
        }
    }

    /// <summary>A step started only after each upstream step succeeded: in the scheduler's record and in the actions' own.</summary>
    private void CheckUpstream(string runId, Dictionary<string, JsonElement> steps, string stepId, string[] upstream)
    {
        if (stepId == "split" || !steps.TryGetValue(stepId, out var step))
        {
            return;
        }
        var attempts = step.GetProperty("attempts").EnumerateArray().ToList();
        if (attempts.Count == 0)
        {
            return;
        }
        var startedAt = Workload.Instant(attempts[0], "startedAt")!.Value;
        var firstCall = _calls[Id(step)].OrderBy(c => c.ReceivedAt).FirstOrDefault();
        foreach (var up in upstream)
        {
            if (!steps.TryGetValue(up, out var before))
            {
                continue;
            }
            var succeeded = before.GetProperty("attempts").EnumerateArray().Where(a => Outcome(a) == "succeeded").ToList();
            // The scheduler's record holds each node's own clock readings: while a silo's clock was stepped they do not
            // compare across nodes (the actions' record, on the runner's one clock, still must agree below).
            if (succeeded.Count == 0 || Workload.Instant(succeeded[0], "finishedAt") is not { } upstreamDone
                || (upstreamDone > startedAt && !ClockSteppedNear(startedAt) && !ClockSteppedNear(upstreamDone)))
            {
                Add("dag-order", $"{runId}/{stepId}", $"started {startedAt:O} before {up} succeeded ({Outcomes(before)})");
            }
            if (firstCall is not null && !_calls[Id(before)].Any(c => c.Status == 200 && c.ReceivedAt <= firstCall.ReceivedAt))
            {
                Add("dag-order", $"{runId}/{stepId}", $"its action was called at {firstCall.ReceivedAt:O}, before any successful call of {up}'s action");
            }
        }
    }

    /// <summary>Whether a silo's wall clock was off (a step-clock fault) within a minute of <paramref name="at"/>.</summary>
    private bool ClockSteppedNear(DateTimeOffset at) =>
        _faults.Any(f => f.Kind == "step-clock" && at >= f.StartedAt.AddMinutes(-1) && at <= f.EndedAt.AddMinutes(1));
}
