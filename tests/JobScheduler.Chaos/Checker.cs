using System.Collections.Concurrent;
using System.Text.Json;
using System.Xml;
using JobScheduler.Testing;
using Npgsql;

namespace JobScheduler.Chaos;

/// <summary>
/// The independent checker. It reads only what the system wrote (REST answers, and on PostgreSQL the execution rows),
/// what the workload was told (<c>workload.json</c>), the fault log (<c>faults.json</c>) and what the actions recorded
/// (<c>actions.jsonl</c>), after the faults stopped and the cluster settled, and lists every broken invariant.
/// </summary>
public sealed partial class Checker(ChaosApi api, string workDirectory, string? postgresConnectionString, Action<string> log)
{
    private static readonly string[] Terminal = ["succeeded", "failed", "cancelled"];
    private static readonly TimeSpan SettlePatience = TimeSpan.FromSeconds(120);

    /// <summary>The servers' misfire threshold (their default): an instant handled later than this was not on time.</summary>
    private static readonly TimeSpan MisfireThreshold = TimeSpan.FromMinutes(1);

    /// <summary>The largest step of a silo's clock the <c>step-clock</c> fault makes (its attempts' times may be off by that much).</summary>
    private static readonly TimeSpan MaxClockStep = TimeSpan.FromSeconds(40);

    /// <summary>How many executions are read at once before the checks (which then run one by one).</summary>
    private const int ReadersAtOnce = 8;

    private readonly Dictionary<string, JsonElement> _executions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ApiAnswer> _read = new(StringComparer.Ordinal);
    private ILookup<string, ActionCall> _calls = null!;
    private List<FaultRecord> _faults = [];

    public List<Violation> Violations { get; } = [];

    public List<LostAttemptRerun> Reruns { get; } = [];

    /// <summary>How late each scheduled instant (of a cron, interval or once job) fired.</summary>
    public List<LateFire> Fires { get; } = [];

    /// <summary>Executions whose action failed in every attempt (not an invariant; shown in the report).</summary>
    public List<string> ActionFailures { get; } = [];

    public int JobsChecked { get; private set; }

    public int ExecutionsChecked => _executions.Count;

    public int DagRunsChecked { get; private set; }

    public int ActionCalls { get; private set; }

    public async Task RunAsync()
    {
        var ledger = WorkloadLedger.Load(Path.Combine(workDirectory, "workload.json"));
        _faults = JsonSerializer.Deserialize<List<FaultRecord>>(File.ReadAllText(Path.Combine(workDirectory, "faults.json")))!;
        var calls = ActionRecorder.Read(Path.Combine(workDirectory, "actions.jsonl"));
        ActionCalls = calls.Count;
        _calls = calls.ToLookup(c => c.ExecutionId, StringComparer.Ordinal);
        var jobs = ledger.Jobs.GroupBy(j => j.Id).Select(g => g.First()).OrderBy(j => j.Id, StringComparer.Ordinal).ToList();
        JobsChecked = jobs.Count;

        var listed = await WaitUntilSettledAsync(jobs);
        await ReadAllAsync(listed.Values.SelectMany(v => v).Select(Id));
        await CheckJobsAsync(jobs, ledger);
        foreach (var job in jobs)
        {
            await CheckExecutionsAsync(job, listed[job.Id], ledger);
        }
        CheckTriggers(ledger, listed);
        await CheckDagRunsAsync(ledger);
        await CheckLedgerIdleAsync();
        if (postgresConnectionString is not null)
        {
            await CheckRowsAsync(jobs, listed);
        }
        foreach (var violation in Violations)
        {
            log(violation.ToString());
        }
    }

    /// <summary>Lists every job's executions until none is left unfinished, or the patience runs out.</summary>
    private async Task<Dictionary<string, List<JsonElement>>> WaitUntilSettledAsync(List<JobRecord> jobs)
    {
        var deadline = DateTimeOffset.UtcNow + SettlePatience;
        while (true)
        {
            var listed = new Dictionary<string, List<JsonElement>>(StringComparer.Ordinal);
            foreach (var job in jobs)
            {
                listed[job.Id] = await api.ListAllAsync($"/api/jobs/{job.Id}/executions");
            }
            var open = listed.Values.SelectMany(v => v).Where(e => !Terminal.Contains(e.GetProperty("state").GetString())).ToList();
            // A once job whose instant fell due on a silo that then died fires once the cluster declares the silo dead
            // and the due-jobs scanner re-reads its window (finding 15): late, not lost. The once-job check below still
            // reports it if it never fires, and the fire-late check if it fired past the misfire threshold.
            var unfired = jobs.Where(j => j.Purpose == "once" && listed[j.Id].Count == 0
                && Workload.Instant(j.Created.GetProperty("schedule"), "at") <= DateTimeOffset.UtcNow).ToList();
            if ((open.Count == 0 && unfired.Count == 0) || DateTimeOffset.UtcNow > deadline)
            {
                foreach (var execution in open)
                {
                    Add("non-terminal", Id(execution), $"still {execution.GetProperty("state").GetString()} {SettlePatience} after the faults stopped");
                }
                return listed;
            }
            log(open.Count > 0
                ? $"  waiting for {open.Count} unfinished executions (e.g. {Id(open[0])})"
                : $"  waiting for {unfired.Count} once jobs past their instant with no execution yet (e.g. {unfired[0].Id})");
            await Task.Delay(3000);
        }
    }

    private async Task CheckJobsAsync(List<JobRecord> jobs, WorkloadLedger ledger)
    {
        var list = (await api.ListAllAsync($"/api/jobs?owner={ChaosApi.Operator}")).ToDictionary(j => j.GetProperty("id").GetString()!, StringComparer.Ordinal);
        foreach (var job in jobs)
        {
            var answer = await api.PersistAsync(() => api.GetAsync($"/api/jobs/{job.Id}"), TimeSpan.FromSeconds(60));
            if (!answer.Ok)
            {
                Add("job-lost", job.Id, $"GET answered {answer.Status} {answer.Error}");
                continue;
            }
            var stored = answer.Json;
            foreach (var field in new[] { "schedule", "action", "retry", "timeout", "resources", "misfire" })
            {
                var before = job.Created.TryGetProperty(field, out var b) ? Canonical(b) : null;
                var now = stored.TryGetProperty(field, out var n) ? Canonical(n) : null;
                if (before != now)
                {
                    Add("job-changed", job.Id, $"{field} was {before}, is {now}");
                }
            }
            var expected = job.Purpose switch
            {
                "cron" or "interval" => ledger.Pauses.Any(p => p.JobId == job.Id && p.AcknowledgedAt is not null) ? "paused" : null,
                "once" => "completed",
                _ => "active",
            };
            var state = stored.GetProperty("state").GetString();
            if (expected is not null && state != expected)
            {
                Add("job-state", job.Id, $"is {state}, expected {expected}");
            }
            if (!list.TryGetValue(job.Id, out var listedJob))
            {
                Add("query-model", job.Id, "the job is missing from GET /api/jobs");
            }
            else if (listedJob.GetProperty("state").GetString() != state)
            {
                Add("query-model", job.Id, $"GET /api/jobs lists it {listedJob.GetProperty("state").GetString()}, GET /api/jobs/{job.Id} says {state}");
            }
        }
        var dags = await api.ListAllAsync($"/api/dags?owner={ChaosApi.Operator}");
        foreach (var dag in ledger.Dags)
        {
            var id = dag.GetProperty("id").GetString()!;
            var answer = await api.PersistAsync(() => api.GetAsync($"/api/dags/{id}"), TimeSpan.FromSeconds(60));
            if (!answer.Ok)
            {
                Add("dag-lost", id, $"GET answered {answer.Status} {answer.Error}");
            }
            else if (Canonical(answer.Json.GetProperty("steps")) != Canonical(dag.GetProperty("steps")))
            {
                Add("dag-changed", id, $"steps were {Canonical(dag.GetProperty("steps"))}, are {Canonical(answer.Json.GetProperty("steps"))}");
            }
            if (!dags.Any(d => d.GetProperty("id").GetString() == id))
            {
                Add("query-model", id, "the DAG is missing from GET /api/dags");
            }
        }
    }

    private async Task CheckExecutionsAsync(JobRecord job, List<JsonElement> listed, WorkloadLedger ledger)
    {
        foreach (var item in listed)
        {
            var detail = await DetailAsync(Id(item));
            if (detail is not { } execution)
            {
                continue;
            }
            // Late from the instant, or from the job's creation if it was created after its instant (a once job whose
            // PUT was retried through an API outage): the scheduler cannot act on an instant before it knows it.
            if (execution.GetProperty("trigger").GetString() == "schedule"
                && Workload.Instant(execution, "scheduledAt") is { } instant
                && Workload.Instant(job.Created, "createdAt") is { } known
                && Workload.Instant(execution, "createdAt") - (known > instant ? known : instant) is { } late)
            {
                Fires.Add(new LateFire(Id(item), instant, late));
                if (late > MisfireThreshold)
                {
                    Add("fire-late", Id(item), $"fired {late.TotalSeconds:0.0} s after its instant, later than the misfire threshold ({MisfireThreshold.TotalSeconds:0} s)");
                }
            }
            if (execution.GetProperty("state").GetString() != item.GetProperty("state").GetString())
            {
                Add("query-model", Id(item), $"listed {item.GetProperty("state").GetString()}, GET says {execution.GetProperty("state").GetString()}");
            }
            var expected = job.Purpose switch
            {
                "timeout" => "failed",
                "cancel" => ExpectedAfterCancel(ledger, Id(item)),
                _ => "succeeded",
            };
            var state = execution.GetProperty("state").GetString();
            if (expected is null || !Terminal.Contains(state) || state == expected)
            {
                continue;
            }
            if (job.Purpose is "cancel" or "timeout")
            {
                Add(job.Purpose == "cancel" ? "cancel-not-honoured" : "unexpected-outcome", Id(item), $"ended {state}, expected {expected}; attempts {Outcomes(execution)}");
            }
            else if (state == "failed" && _calls[Id(item)].Any(c => c.Status == 200))
            {
                Add("outcome-disagrees", Id(item), $"ended failed though its action answered 200; attempts {Outcomes(execution)}");
            }
            else
            {
                // The action itself failed (say its call never reached the listener) in every attempt: an outcome the
                // scheduler recorded truthfully, not a broken invariant. Counted and shown.
                ActionFailures.Add($"{Id(item)} ended {state}: {Errors(execution)}");
            }
        }

        var instants = listed.Select(e => Workload.Instant(e, "scheduledAt")!.Value).ToList();
        foreach (var twice in instants.GroupBy(i => i).Where(g => g.Count() > 1))
        {
            Add("instant-twice", $"{job.Id}@{twice.Key:O}", $"{twice.Count()} executions for one instant");
        }
        switch (job.Purpose)
        {
            case "cron":
            case "interval":
                CheckSchedule(job, instants, ledger.Pauses.FirstOrDefault(p => p.JobId == job.Id));
                break;
            case "once":
                var at = Workload.Instant(job.Created.GetProperty("schedule"), "at")!.Value;
                if (instants.Count != 1 || instants[0] != at)
                {
                    Add("once-job", job.Id, $"{instants.Count} executions ({string.Join(", ", instants.Select(i => i.ToString("O")))}), expected one at {at:O}");
                }
                break;
        }
    }

    /// <summary>
    /// Every instant of the schedule from the job's first fire to its pause has one execution, and none after the pause.
    /// The faults' outages are shorter than the misfire threshold (1 minute): every late instant is on time and fires.
    /// </summary>
    private void CheckSchedule(JobRecord job, List<DateTimeOffset> instants, PauseRecord? pause)
    {
        var first = Workload.Instant(job.Created, "nextFireAt")!.Value;
        var step = job.Purpose == "cron"
            ? TimeSpan.FromSeconds(1)
            : XmlConvert.ToTimeSpan(job.Created.GetProperty("schedule").GetProperty("every").GetString()!);
        var fired = instants.ToHashSet();
        var until = (pause?.RequestedAt ?? DateTimeOffset.UtcNow).AddSeconds(-1);
        var missed = new List<DateTimeOffset>();
        for (var t = first; t <= until; t += step)
        {
            if (!fired.Contains(t))
            {
                missed.Add(t);
            }
        }
        if (missed.Count > 0)
        {
            Add("missed-instant", job.Id, $"{missed.Count} instants without an execution: {string.Join(", ", missed.Take(10).Select(m => m.ToString("HH:mm:ss")))}{(missed.Count > 10 ? " …" : "")}");
        }
        foreach (var instant in instants)
        {
            if (instant < first || (instant - first).Ticks % step.Ticks != 0)
            {
                Add("off-schedule", $"{job.Id}@{instant:O}", $"not an instant of the schedule (first {first:O}, every {step})");
            }
            if (pause?.AcknowledgedAt is { } paused && instant > paused.AddSeconds(1))
            {
                Add("fired-while-paused", $"{job.Id}@{instant:O}", $"paused at {paused:O}");
            }
        }
    }

    private void CheckTriggers(WorkloadLedger ledger, Dictionary<string, List<JsonElement>> listed)
    {
        foreach (var trigger in ledger.Triggers)
        {
            var ids = trigger.AnsweredIds.Distinct(StringComparer.Ordinal).ToList();
            if (ids.Count > 1)
            {
                Add("idempotency", $"{trigger.TargetId} key {trigger.Key}", $"one key, {ids.Count} executions: {string.Join(", ", ids)}");
            }
        }
        foreach (var shared in ledger.Triggers.Where(t => t.Acknowledged).GroupBy(t => t.AnsweredIds[0]).Where(g => g.Count() > 1))
        {
            Add("idempotency", shared.Key, $"keys {string.Join(", ", shared.Select(t => t.Key))} were all answered with this one execution");
        }
        foreach (var job in ledger.Triggers.Where(t => !t.Dag).GroupBy(t => t.TargetId))
        {
            if (!listed.TryGetValue(job.Key, out var executions))
            {
                continue;
            }
            var known = executions.Select(Id).ToHashSet(StringComparer.Ordinal);
            foreach (var trigger in job.Where(t => t.Acknowledged))
            {
                if (!known.Contains(trigger.AnsweredIds[0]))
                {
                    Add("trigger-lost", trigger.AnsweredIds[0], $"acknowledged for key {trigger.Key}, not among the job's executions");
                }
            }
            var asked = job.Where(t => t.Acknowledged).Select(t => t.AnsweredIds[0]).ToHashSet(StringComparer.Ordinal);
            var unasked = known.Where(id => !asked.Contains(id)).ToList();
            var unanswered = job.Count(t => !t.Acknowledged);
            if (unasked.Count > unanswered)
            {
                Add("unasked-execution", job.Key, $"{unasked.Count} executions no acknowledged trigger names, only {unanswered} triggers went unanswered: {string.Join(", ", unasked.Take(5))}");
            }
        }
        foreach (var cancel in ledger.Cancels.Where(c => c.Acknowledged && !_executions.ContainsKey(c.ExecutionId)))
        {
            Add("cancel-not-honoured", cancel.ExecutionId, "an acknowledged cancel of an execution that is not found");
        }
    }

    /// <summary>
    /// The end an acknowledged cancel promises: <c>cancelled</c>, unless its answer showed the execution already ended
    /// otherwise (the cancel came too late, which the answer says); null when no cancel was acknowledged.
    /// </summary>
    private static string? ExpectedAfterCancel(WorkloadLedger ledger, string executionId)
    {
        var acknowledged = ledger.Cancels.Where(c => c.ExecutionId == executionId && c.Acknowledged).ToList();
        if (acknowledged.Count == 0)
        {
            return null;
        }
        return acknowledged.Select(c => c.AnsweredState).FirstOrDefault(s => s is "succeeded" or "failed") ?? "cancelled";
    }

    /// <summary>GET one execution (cached) and check its attempts: at most one succeeded, the actions' record agrees, lost re-runs timed.</summary>
    /// <summary>Reads the executions <paramref name="ids"/> several at a time (an hour's run lists some 23,000).</summary>
    private Task ReadAllAsync(IEnumerable<string> ids) =>
        Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = ReadersAtOnce }, async (id, _) => _read[id] = await ReadAsync(id));

    private Task<ApiAnswer> ReadAsync(string id) =>
        api.PersistAsync(() => api.GetAsync($"/api/executions/{Uri.EscapeDataString(id)}"), TimeSpan.FromSeconds(60));

    private async Task<JsonElement?> DetailAsync(string id)
    {
        if (_executions.TryGetValue(id, out var cached))
        {
            return cached;
        }
        var answer = _read.TryRemove(id, out var read) ? read : await ReadAsync(id);
        if (!answer.Ok)
        {
            Add("execution-lost", id, $"listed, but GET answered {answer.Status} {answer.Error}");
            return null;
        }
        var execution = answer.Json;
        _executions[id] = execution;
        var attempts = execution.GetProperty("attempts").EnumerateArray().ToList();
        var succeeded = attempts.Count(a => Outcome(a) == "succeeded");
        var lost = attempts.Count(a => Outcome(a) == "lost");
        if (succeeded > 1)
        {
            Add("succeeded-twice", id, $"{succeeded} succeeded attempts: {Outcomes(execution)}");
        }
        var successfulCalls = _calls[id].Count(c => c.Status == 200 && c.Path != "/sleep");
        if (successfulCalls > 1 && lost == 0)
        {
            Add("action-succeeded-twice", id, $"its action answered 200 {successfulCalls} times and no attempt is recorded lost: {Outcomes(execution)}");
        }
        for (var i = 0; i + 1 < attempts.Count; i++)
        {
            if (Outcome(attempts[i]) != "lost")
            {
                continue;
            }
            var node = attempts[i].TryGetProperty("node", out var n) ? n.GetString() ?? "" : "";
            var next = Workload.Instant(attempts[i + 1], "startedAt");
            // The fault that lost it: one not over before the attempt began (give or take the largest clock step), its
            // node's own if there is one, else another's (a silo dying under the execution's grain loses the attempt too).
            var began = Workload.Instant(attempts[i], "startedAt") - MaxClockStep;
            var fault = _faults.Where(f => next is { } at && f.StartedAt <= at && (began is null || f.EndedAt >= began))
                .OrderByDescending(f => f.NodeId == node).ThenByDescending(f => f.StartedAt).FirstOrDefault();
            if (fault is null || next is null)
            {
                log($"  note: {id} attempt {i + 1} lost on {node} with no fault of that node logged before its re-run");
                continue;
            }
            Reruns.Add(new LostAttemptRerun(id, node, fault.Kind, next.Value - fault.StartedAt, fault.DetectedAt is { } seen ? next.Value - seen : null));
        }
        return execution;
    }

    /// <summary>When idle, no node holds a reservation or a running execution and nothing waits (polled for a minute).</summary>
    private async Task CheckLedgerIdleAsync()
    {
        var deadline = DateTimeOffset.UtcNow.AddMinutes(1);
        List<string> problems;
        do
        {
            problems = [];
            var nodes = await api.PersistAsync(() => api.GetAsync("/api/nodes", TestLogin.Admin), TimeSpan.FromSeconds(60));
            if (!nodes.Ok)
            {
                problems.Add($"GET /api/nodes answered {nodes.Status}");
            }
            else
            {
                foreach (var node in nodes.Json.GetProperty("items").EnumerateArray().Where(n => n.GetProperty("state").GetString() != "down"))
                {
                    var running = node.GetProperty("running").EnumerateArray().Select(r => r.GetString()).ToList();
                    if (node.GetProperty("reservedCpuMillis").GetInt32() != 0 || node.GetProperty("reservedMemoryMb").GetInt32() != 0 || running.Count > 0 || node.GetProperty("pendingInCluster").GetInt32() != 0)
                    {
                        problems.Add($"{node.GetProperty("id").GetString()}: reserved {node.GetProperty("reservedCpuMillis").GetInt32()} mCPU / {node.GetProperty("reservedMemoryMb").GetInt32()} MB, running [{string.Join(", ", running)}], {node.GetProperty("pendingInCluster").GetInt32()} waiting");
                    }
                }
            }
            if (problems.Count == 0)
            {
                return;
            }
            await Task.Delay(2000);
        }
        while (DateTimeOffset.UtcNow < deadline);
        foreach (var problem in problems)
        {
            Add("ledger-not-idle", problem.Split(':')[0], problem);
        }
    }

    /// <summary>The execution rows in PostgreSQL agree with what the API answered.</summary>
    private async Task CheckRowsAsync(List<JobRecord> jobs, Dictionary<string, List<JsonElement>> listed)
    {
        await using var connection = new NpgsqlConnection(postgresConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id, job_id, state FROM js_executions WHERE owner = @owner", connection);
        command.Parameters.AddWithValue("owner", ChaosApi.Operator);
        var rows = new Dictionary<string, (string Job, string State)>(StringComparer.Ordinal);
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                rows[reader.GetString(0)] = (reader.GetString(1), reader.GetString(2));
            }
        }
        var jobIds = jobs.Select(j => j.Id).ToHashSet(StringComparer.Ordinal);
        foreach (var (id, row) in rows.Where(r => jobIds.Contains(r.Value.Job)))
        {
            if (!listed[row.Job].Any(e => Id(e) == id))
            {
                Add("query-model", id, $"a row in js_executions ({row.State}) that GET /api/jobs/{row.Job}/executions does not list");
            }
            else if (_executions.TryGetValue(id, out var execution) && execution.GetProperty("state").GetString() != row.State)
            {
                Add("query-model", id, $"row says {row.State}, GET says {execution.GetProperty("state").GetString()}");
            }
        }
        foreach (var id in _executions.Keys.Where(id => !rows.ContainsKey(id)))
        {
            Add("query-model", id, "answered by the API, no row in js_executions");
        }
    }

    private void Add(string invariant, string subject, string detail) => Violations.Add(new Violation(invariant, subject, detail));

    /// <summary>The JSON written compactly, so that what was saved indented compares equal to what the API answers.</summary>
    private static string Canonical(JsonElement element) => JsonSerializer.Serialize(element);

    private static string Id(JsonElement execution) => execution.GetProperty("id").GetString()!;

    private static string Errors(JsonElement execution) =>
        string.Join("; ", execution.GetProperty("attempts").EnumerateArray().Select(a => a.TryGetProperty("error", out var e) ? e.GetString() : Outcome(a)));

    private static string Outcomes(JsonElement execution) =>
        "[" + string.Join(", ", execution.GetProperty("attempts").EnumerateArray().Select(a => $"{Outcome(a)}@{(a.TryGetProperty("node", out var n) ? n.GetString() : "?")}")) + "]";

    /// <summary>An attempt's outcome; null while it runs (an unfinished attempt has none on the wire).</summary>
    private static string? Outcome(JsonElement attempt) =>
        attempt.TryGetProperty("outcome", out var outcome) && outcome.ValueKind == JsonValueKind.String ? outcome.GetString() : null;
}
