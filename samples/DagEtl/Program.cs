// JobScheduler DAG sample: an ETL workflow scheduled, triggered and awaited with the .NET SDK.
//
//   extract ─┬─ transform-orders ────┐
//            ├─ transform-customers ─┼─ load ─ notify
//            └─ transform-products ──┘
//   cleanup  runs only when a step failed (condition anyFailed)
//
//   dotnet run --project src/JobScheduler.Server                        (in another terminal)
//   JOBSCHEDULER_API_KEY=js_... dotnet run --project samples/DagEtl [host:port] [--fail]   (default 127.0.0.1:30000; --fail breaks a transform)
using JobScheduler;
using JobScheduler.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

const string DagId = "etl-sample";
string[] tables = ["orders", "customers", "products"];

var gateway = args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "127.0.0.1:30000";
var breakProducts = args.Contains("--fail");

if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOBSCHEDULER_API_KEY")))
{
    Console.Error.WriteLine("Set JOBSCHEDULER_API_KEY to an API key (POST /api/auth/keys; README, \"Users, tokens and API keys\").");
    return 2;
}

// One deadline for everything, so the sample never hangs on an unreachable or misconfigured server.
using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
var ct = deadline.Token;

var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders(); // the sample reports problems itself; remove this line to see the Orleans client's logs
builder.Services.AddJobSchedulerClient(options =>
{
    options.Gateways = [gateway];
    // An API key (POST /api/auth/keys, README "Users, tokens and API keys"): what the sample creates is its user's.
    options.ApiKey = Environment.GetEnvironmentVariable("JOBSCHEDULER_API_KEY");
});
using var host = builder.Build();

try
{
    // The Orleans client keeps retrying until it reaches the gateway, so give up early when nothing answers.
    using var connect = CancellationTokenSource.CreateLinkedTokenSource(ct);
    connect.CancelAfter(TimeSpan.FromSeconds(10));
    await host.StartAsync(connect.Token);
}
catch (Exception e)
{
    var why = e is OperationCanceledException ? "no answer within 10 s" : e.Message;
    Console.Error.WriteLine($"Could not connect to a JobScheduler gateway at {gateway} ({why}). Is the server running?");
    return 1;
}
var client = host.Services.GetRequiredService<IJobSchedulerClient>();
using var onCtrlC = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(deadline.Cancel);

// Command steps run `sh -c` on the server, so they assume a Unix-like server. A step publishes outputs by appending
// name=value lines to the file named by $JOBSCHEDULER_OUTPUT; a direct dependant reads them as
// $JOBSCHEDULER_UPSTREAM_<STEP>_<NAME> (upper case, '-' as '_'). Run parameters arrive as $JOBSCHEDULER_PARAM_<NAME>.
static ActionSpec Shell(string script) => ActionSpec.Run("sh", "-c", script);

var transforms = tables.Select(table => new DagStepSpec
{
    Id = $"transform-{table}",
    DependsOn = ["extract"],
    Action = Shell($"""
        echo "transforming $JOBSCHEDULER_UPSTREAM_EXTRACT_ROWS {table} rows of $JOBSCHEDULER_UPSTREAM_EXTRACT_BATCH"
        if [ "$JOBSCHEDULER_PARAM_BREAK" = {table} ]; then echo "{table}: malformed input" >&2; exit 1; fi
        echo "file=$JOBSCHEDULER_UPSTREAM_EXTRACT_BATCH-{table}.parquet" >> "$JOBSCHEDULER_OUTPUT"
        """),
    // Each step has its own policies, as a job has.
    Retry = new RetryPolicy { MaxAttempts = 2, InitialBackoff = TimeSpan.FromSeconds(1) },
    Timeout = TimeSpan.FromMinutes(1),
}).ToArray();

DagStepSpec[] steps =
[
    new()
    {
        Id = "extract",
        Action = Shell("""
            batch="batch-$(date -u +%Y%m%dT%H%M%S)"
            echo "extracting $batch"
            echo "batch=$batch" >> "$JOBSCHEDULER_OUTPUT"
            echo "rows=1200" >> "$JOBSCHEDULER_OUTPUT"
            """),
    },
    .. transforms,
    new()
    {
        Id = "load",
        DependsOn = [.. transforms.Select(t => t.Id!)],
        Action = Shell("""echo "loading $JOBSCHEDULER_UPSTREAM_TRANSFORM_ORDERS_FILE $JOBSCHEDULER_UPSTREAM_TRANSFORM_CUSTOMERS_FILE $JOBSCHEDULER_UPSTREAM_TRANSFORM_PRODUCTS_FILE" """),
    },
    new() { Id = "notify", DependsOn = ["load"], Action = Shell("echo 'notified #data-team: warehouse loaded'") },
];

// anyFailed looks through skipped steps to the failure that caused them: a step skipped because a failure reached its
// upstream passes that failure on, so depending on `notify` alone would catch a failure anywhere too. The clean-up
// depends on every step so that it waits for all of them: a failed transform skips `load` and `notify` at once, while
// the other transforms may still be running.
steps = [.. steps, new()
{
    Id = "cleanup",
    DependsOn = [.. steps.Select(s => s.Id!)],
    Condition = StepCondition.AnyFailed,
    Action = Shell("echo 'removing the staging files of the failed run'"),
}];

try
{
    // A fixed id: scheduling an existing id replaces the DAG, so the sample can be rerun as often as you like.
    await client.ScheduleDagAsync(DagId, new DagSpec { Name = "ETL sample", Schedule = ScheduleSpec.Manual(), Steps = steps }, ct);

    var parameters = new Dictionary<string, string> { ["break"] = breakProducts ? "products" : "nothing" };
    var started = await client.TriggerDagAsync(DagId, new DagTriggerOptions { Parameters = parameters }, cancellationToken: ct);
    Console.WriteLine($"Triggered {DagId}: run {started.Id}{(breakProducts ? " (transform-products will fail)" : "")}; waiting for it...");

    var run = await client.WaitForDagRunAsync(started.Id, TimeSpan.FromSeconds(60), ct);

    Console.WriteLine($"Run {run.State.ToString().ToLowerInvariant()} in {(run.FinishedAt - run.StartedAt)?.TotalSeconds:F1} s");
    foreach (var step in run.Steps)
    {
        var took = step.FinishedAt - step.StartedAt is { } duration ? $"{duration.TotalMilliseconds,6:F0} ms" : "       -";
        var outputs = step.Outputs is { Count: > 0 } ? string.Join(" ", step.Outputs.Select(o => $"{o.Key}={o.Value}")) : "";
        // The step's execution has its attempts and their output, like any job's execution.
        var attempt = step.ExecutionId is null ? null : (await client.GetExecutionAsync(step.ExecutionId, ct))?.Attempts.LastOrDefault();
        var said = (attempt?.Output?.Trim() ?? step.Reason ?? "").ReplaceLineEndings(" | ");
        Console.WriteLine($"  {step.Id,-20} {step.State.ToString().ToLowerInvariant(),-9} {took}  {outputs,-45} {said}");
    }
    Console.WriteLine($"See it over REST: curl -H \"Authorization: Bearer $TOKEN\" http://localhost:5080/api/dag-runs/{run.Id}");
    if (run.State == DagRunState.Failed)
    {
        Console.WriteLine($"Retry it from the failed steps: curl -X POST -H \"Authorization: Bearer $TOKEN\" http://localhost:5080/api/dag-runs/{run.Id}/retry");
    }
    return run.State == DagRunState.Succeeded ? 0 : 1;
}
catch (JobValidationException e) when (e.Errors.Any(error => error.Field.EndsWith("action.kind", StringComparison.Ordinal)))
{
    Console.Error.WriteLine(
        "The server refuses command actions. Run it with JobScheduler:Actions:Command:Enabled=true, e.g. with\n" +
        "  dotnet run --project src/JobScheduler.Server   (the Development environment enables them), or pass\n" +
        "  --JobScheduler:Actions:Command:Enabled=true to the server.\n" + e.Message);
    return 1;
}
catch (TimeoutException e)
{
    Console.Error.WriteLine($"{e.Message} The server's log says more.");
    return 1;
}
catch (OperationCanceledException) when (ct.IsCancellationRequested)
{
    Console.Error.WriteLine("Stopped (Ctrl+C or the 90 s limit) before the run finished; the server's log says more.");
    return 1;
}
finally
{
    using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    await host.StopAsync(stop.Token);
}
