using System.Globalization;
using System.Text.Json;

namespace JobScheduler.Chaos;

/// <summary>
/// The steady mixed workload, all through the REST API as the operator <see cref="ChaosApi.Operator"/>: per-second cron
/// jobs (one reserving resources, so it goes through the capacity ledger), interval jobs, once jobs created all along,
/// idempotent triggers of a job that fails its first attempt (retry), of one that overruns its timeout, of one that is
/// cancelled while it runs, bursts of triggers, and runs of a fan-out DAG. Every action is an http call to the
/// <see cref="ActionRecorder"/>. What was asked and acknowledged goes to the <see cref="WorkloadLedger"/>.
/// </summary>
public sealed class Workload(ChaosApi api, ActionRecorder recorder, WorkloadLedger ledger, Random random, Action<string> log)
{
    public const string DagId = "fan";
    public static readonly string[] DagParts = ["part-0", "part-1", "part-2", "part-3"];

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private int _keys;
    private int _onceJobs;

    public async Task SetUpAsync()
    {
        object Http(string path) => new { kind = "http", method = "POST", url = recorder.Url(path) };
        var startAt = DateTimeOffset.UtcNow.AddSeconds(10);
        startAt = new DateTimeOffset(startAt.Year, startAt.Month, startAt.Day, startAt.Hour, startAt.Minute, startAt.Second, TimeSpan.Zero);
        await PutJobAsync("cron-a", "cron", new { schedule = new { kind = "cron", expression = "* * * * * *" }, action = Http("/ok") });
        await PutJobAsync("cron-b", "cron", new { schedule = new { kind = "cron", expression = "* * * * * *" }, action = Http("/ok"), misfire = "fireAll" });
        await PutJobAsync("cron-reserving", "cron", new
        {
            schedule = new { kind = "cron", expression = "* * * * * *" }, action = Http("/ok"), resources = new { cpuMillis = 50, memoryMb = 10 },
        });
        await PutJobAsync("interval-2s", "interval", new { schedule = new { kind = "interval", every = "PT2S", startAt }, action = Http("/ok") });
        await PutJobAsync("interval-3s", "interval", new { schedule = new { kind = "interval", every = "PT3S", startAt }, action = Http("/ok") });
        await PutJobAsync("retry", "retry", new
        {
            schedule = new { kind = "manual" }, action = Http("/fail-first"),
            retry = new { maxAttempts = 3, initialBackoff = "PT1S", multiplier = 1, jitter = 0 },
        });
        await PutJobAsync("timeout", "timeout", new { schedule = new { kind = "manual" }, action = Http("/sleep?ms=5000"), timeout = "PT1S", retry = new { maxAttempts = 1 } });
        await PutJobAsync("cancel", "cancel", new { schedule = new { kind = "manual" }, action = Http("/sleep?ms=30000") });
        await PutJobAsync("burst", "burst", new { schedule = new { kind = "manual" }, action = Http("/ok") });
        var dag = await api.PersistAsync(() => api.SendAsync(HttpMethod.Put, $"/api/dags/{DagId}", new
        {
            schedule = new { kind = "manual" },
            concurrency = "allow",
            steps = new object[]
            {
                new { id = "split", action = Http("/ok") },
            }
            .Concat(DagParts.Select(p => (object)new { id = p, action = Http("/sleep?ms=300"), dependsOn = new[] { "split" }, resources = new { cpuMillis = 100, memoryMb = 10 } }))
            .Append(new { id = "join", action = Http("/ok"), dependsOn = DagParts })
            .ToArray(),
        }), Patience);
        if (!dag.Ok)
        {
            throw new InvalidOperationException($"PUT /api/dags/{DagId} answered {dag.Status}: {dag.Error}");
        }
        ledger.Add(ledger.Dags, dag.Json);
    }

    /// <summary>Runs the loops until <paramref name="stop"/>; each keeps its own pace.</summary>
    public Task RunAsync(CancellationToken stop) => Task.WhenAll(
        EveryAsync(TimeSpan.FromSeconds(3), CreateOnceJobAsync, stop),
        EveryAsync(TimeSpan.FromSeconds(2), () => TriggerAsync("retry", dag: false), stop),
        EveryAsync(TimeSpan.FromSeconds(4), () => TriggerAsync("burst", dag: false), stop),
        EveryAsync(TimeSpan.FromSeconds(9), () => TriggerAsync("timeout", dag: false), stop),
        EveryAsync(TimeSpan.FromSeconds(11), TriggerAndCancelAsync, stop),
        EveryAsync(TimeSpan.FromSeconds(7), () => TriggerAsync(DagId, dag: true), stop));

    /// <summary>Many triggers at once (during a fault): each with its own key, each retried until answered.</summary>
    public async Task BurstAsync(int count)
    {
        log($"  burst of {count} triggers");
        await Task.WhenAll(Enumerable.Range(0, count).Select(_ => TriggerAsync("burst", dag: false)));
    }

    /// <summary>Pauses the recurring jobs (the end of their checked window), each until answered.</summary>
    public async Task PauseRecurringAsync()
    {
        foreach (var job in ledger.Jobs.Where(j => j.Purpose is "cron" or "interval"))
        {
            var requested = DateTimeOffset.UtcNow;
            var answer = await api.PersistAsync(() => api.SendAsync(HttpMethod.Post, $"/api/jobs/{job.Id}/pause", null), Patience);
            ledger.Add(ledger.Pauses, new PauseRecord(job.Id, requested, answer.Ok ? answer.AnsweredAt : null));
        }
    }

    private async Task PutJobAsync(string id, string purpose, object spec)
    {
        var answer = await api.PersistAsync(() => api.SendAsync(HttpMethod.Put, $"/api/jobs/{id}", spec), Patience);
        if (answer.Ok)
        {
            ledger.Add(ledger.Jobs, new JobRecord(id, purpose, answer.Json));
        }
        else if (purpose != "once")
        {
            throw new InvalidOperationException($"PUT /api/jobs/{id} answered {answer.Status}: {answer.Error}");
        }
        else
        {
            ledger.CountUnanswered();
        }
    }

    private Task CreateOnceJobAsync()
    {
        var at = DateTimeOffset.UtcNow.AddSeconds(Draw(2, 7));
        at = new DateTimeOffset(at.Ticks - (at.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero);
        var id = $"once-{Interlocked.Increment(ref _onceJobs):0000}";
        return PutJobAsync(id, "once", new { schedule = new { kind = "once", at }, action = new { kind = "http", method = "POST", url = recorder.Url("/ok") } });
    }

    /// <summary>One idempotent trigger: the same key is sent again until an answer comes (as a careful client does).</summary>
    private async Task<string?> TriggerAsync(string id, bool dag)
    {
        var key = $"k-{Interlocked.Increment(ref _keys):00000}";
        var ids = new List<string>();
        var attempts = 0;
        var deadline = DateTimeOffset.UtcNow + Patience;
        ApiAnswer answer;
        do
        {
            attempts++;
            answer = await api.SendAsync(HttpMethod.Post, dag ? $"/api/dags/{id}/trigger" : $"/api/jobs/{id}/trigger", null, idempotencyKey: key);
            if (answer.Ok)
            {
                ids.Add(answer.Json.GetProperty("id").GetString()!);
            }
            else if (answer.Transient)
            {
                await Task.Delay(500);
            }
        }
        while (answer.Transient && DateTimeOffset.UtcNow < deadline);
        // Half the time, a client that got its answer sends the same request again: it must name the same execution.
        if (answer.Ok && Draw(0, 2) == 0)
        {
            var again = await api.SendAsync(HttpMethod.Post, dag ? $"/api/dags/{id}/trigger" : $"/api/jobs/{id}/trigger", null, idempotencyKey: key);
            attempts++;
            if (again.Ok)
            {
                ids.Add(again.Json.GetProperty("id").GetString()!);
            }
        }
        ledger.Add(ledger.Triggers, new TriggerRecord(id, key, dag, ids, attempts, ids.Count > 0));
        if (!answer.Ok)
        {
            log($"  trigger {id} {key} not acknowledged: {answer.Status} {answer.Error}");
        }
        return ids.FirstOrDefault();
    }

    private async Task TriggerAndCancelAsync()
    {
        if (await TriggerAsync("cancel", dag: false) is not { } execution)
        {
            return;
        }
        var deadline = DateTimeOffset.UtcNow.AddSeconds(15);
        while (DateTimeOffset.UtcNow < deadline)
        {
            var state = await api.GetAsync($"/api/executions/{Uri.EscapeDataString(execution)}");
            if (state.Ok && state.Json.GetProperty("state").GetString() == "running")
            {
                break;
            }
            await Task.Delay(300);
        }
        var at = DateTimeOffset.UtcNow;
        var cancel = await api.PersistAsync(() => api.SendAsync(HttpMethod.Post, $"/api/executions/{Uri.EscapeDataString(execution)}/cancel", null), Patience);
        var answered = cancel.Ok && cancel.Body is { } body && body.TryGetProperty("state", out var answeredState) ? answeredState.GetString() : null;
        ledger.Add(ledger.Cancels, new CancelRecord(execution, cancel.Ok, at, answered));
        if (!cancel.Ok)
        {
            log($"  cancel of {execution} answered {cancel.Status}: {cancel.Error}");
        }
    }

    private int Draw(int from, int to)
    {
        lock (random)
        {
            return random.Next(from, to);
        }
    }

    private static async Task EveryAsync(TimeSpan period, Func<Task> work, CancellationToken stop)
    {
        var running = new List<Task>();
        while (!stop.IsCancellationRequested)
        {
            running.RemoveAll(t => t.IsCompleted);
            running.Add(Task.Run(work, CancellationToken.None));
            try
            {
                await Task.Delay(period, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await Task.WhenAll(running);
    }

    /// <summary>The instant a job's JSON names (<c>nextFireAt</c>, <c>scheduledAt</c>…), parsed.</summary>
    public static DateTimeOffset? Instant(JsonElement element, string property) =>
        element.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
            ? DateTimeOffset.Parse(value.GetString()!, CultureInfo.InvariantCulture)
            : null;
}
