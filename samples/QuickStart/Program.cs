// JobScheduler quick start: schedules a cron job, a once job and a handler job with the .NET SDK,
// waits for their runs, prints them and deletes the jobs again.
//
//   dotnet run --project src/JobScheduler.Server        (in another terminal)
//   JOBSCHEDULER_API_KEY=js_... dotnet run --project samples/QuickStart [host:port]   (default 127.0.0.1:30000, the server's gateway)
using JobScheduler;
using JobScheduler.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

const string CronJob = "quickstart-cron";
const string OnceJob = "quickstart-once";
const string HandlerJob = "quickstart-sleep";

var gateway = args.Length > 0 ? args[0] : "127.0.0.1:30000";

if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("JOBSCHEDULER_API_KEY")))
{
    Console.Error.WriteLine("Set JOBSCHEDULER_API_KEY to an API key (POST /api/auth/keys; README, \"Users, tokens and API keys\").");
    return 2;
}

// One deadline for everything, so the sample never hangs on an unreachable or misconfigured server.
using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
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
    // Starting the host connects to the gateway. The Orleans client keeps retrying until it gets there,
    // so give up early when nothing answers.
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

// The host handles Ctrl+C by signalling "stopping"; turn that into cancellation so the sample still cleans up.
using var onCtrlC = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(deadline.Cancel);

try
{
    // Fixed ids: scheduling an existing id replaces the job, so the sample can be rerun as often as you like.
    // Command actions run a process on the server without a shell, so these assume a Unix-like server.
    var cron = await client.ScheduleAsync(CronJob, new JobSpec
    {
        Name = "QuickStart: every 5 seconds",
        Schedule = ScheduleSpec.Cron("*/5 * * * * *"), // 6 fields: the first one is seconds (UTC by default)
        Action = ActionSpec.Run("date", "-u", "+cron job ran at %H:%M:%S UTC"),
    }, ct);
    var once = await client.ScheduleAsync(OnceJob, new JobSpec
    {
        Name = "QuickStart: once, 3 s from now",
        Schedule = ScheduleSpec.OnceAt(DateTimeOffset.UtcNow.AddSeconds(3)),
        Action = ActionSpec.Run("echo", "hello from the once job"),
    }, ct);

    // Handler actions run .NET code registered on the silo; "sleep" is built in. Manual jobs only run when triggered.
    await client.ScheduleAsync(HandlerJob, new JobSpec
    {
        Name = "QuickStart: built-in sleep handler",
        Schedule = ScheduleSpec.Manual(),
        Action = ActionSpec.RunHandler("sleep", new { ms = 200 }),
    }, ct);
    var triggered = await client.TriggerAsync(HandlerJob, cancellationToken: ct);

    // Execution ids are deterministic (job id + scheduled instant), so fires that have not happened yet can be
    // awaited already: the cron job's next two fires are NextFireAt and 5 s after it.
    var firstCronFire = cron.NextFireAt!.Value;
    Console.WriteLine($"Scheduled {CronJob} (first fire {firstCronFire:HH:mm:ss}Z), {OnceJob} (at {once.NextFireAt:HH:mm:ss}Z) and triggered {HandlerJob}; waiting for 4 runs...");
    string[] executionIds =
    [
        ExecutionId.For(OnceJob, once.NextFireAt!.Value),
        ExecutionId.For(CronJob, firstCronFire),
        ExecutionId.For(CronJob, firstCronFire.AddSeconds(5)),
        triggered,
    ];
    var runs = await Task.WhenAll(executionIds.Select(id => client.WaitForCompletionAsync(id, ct)));

    foreach (var run in runs.OrderBy(r => r.ScheduledAt))
    {
        // Lateness is how long after its scheduled instant the run actually started.
        var first = run.Attempts.FirstOrDefault();
        var last = run.Attempts.LastOrDefault();
        var lateness = first is null ? "-" : $"{(first.StartedAt - run.ScheduledAt).TotalMilliseconds:F0} ms";
        Console.WriteLine(
            $"{run.JobId,-17} scheduled {run.ScheduledAt:HH:mm:ss.fff}Z  {run.State,-9}  late {lateness,7}  " +
            $"node {last?.Node ?? "-"}  exit {last?.ExitCode?.ToString() ?? "-"}  output: {last?.Output?.Trim() ?? last?.Error}");
    }
    return runs.All(r => r.State == ExecutionState.Succeeded) ? 0 : 1;
}
catch (JobValidationException e) when (e.Errors.Any(error => error.Field == "action.kind"))
{
    Console.Error.WriteLine(
        "The server refuses command actions. Run it with JobScheduler:Actions:Command:Enabled=true, e.g. with\n" +
        "  dotnet run --project src/JobScheduler.Server   (the Development environment enables them), or pass\n" +
        "  --JobScheduler:Actions:Command:Enabled=true to the server.\n" + e.Message);
    return 1;
}
catch (OperationCanceledException) when (ct.IsCancellationRequested)
{
    Console.Error.WriteLine("Stopped (Ctrl+C or the 60 s limit) before all runs finished; the server's log says more.");
    return 1;
}
finally
{
    // Deleting a job stops its schedule (the cron job would otherwise fire forever); runs already started finish.
    using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(10));
    foreach (var id in new[] { CronJob, OnceJob, HandlerJob })
    {
        await client.DeleteAsync(id, cleanup.Token);
    }
    await host.StopAsync(cleanup.Token);
}
