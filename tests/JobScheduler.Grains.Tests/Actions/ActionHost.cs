using System.Collections.Concurrent;
using System.Net;
using JobScheduler.Grains.Actions;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;

namespace JobScheduler.Grains.Tests.Actions;

/// <summary>
/// The silo's action runners as <c>AddJobScheduler</c> registers them, without a cluster: commands enabled, the test
/// handlers registered, and http actions answered 200 by <see cref="Http"/>, which keeps every request it is sent.
/// </summary>
public sealed class ActionHost : IDisposable
{
    public static readonly DateTimeOffset ScheduledAt = new(2026, 1, 15, 2, 0, 0, TimeSpan.Zero);

    public const string RunId = "etl@20260115T020000.0000000Z";

    private readonly ServiceProvider _services;

    /// <param name="configure">Changes to the options after commands are enabled (an allow-list, another account).</param>
    public ActionHost(Action<JobSchedulerOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddJobScheduler(options =>
        {
            options.Actions.Command.Enabled = true;
            configure?.Invoke(options);
        });
        services.AddHttpClient(HttpActionRunner.ClientName).ConfigurePrimaryHttpMessageHandler(() => Http);
        services.AddJobHandler<StepOutputHandler>(StepOutputHandler.Name);
        _services = services.BuildServiceProvider();
    }

    public CapturingHttpHandler Http { get; } = new();

    public ActionRunner Actions => _services.GetRequiredService<ActionRunner>();

    /// <summary>Attempt <paramref name="attempt"/> of step <paramref name="stepId"/> of run <see cref="RunId"/>.</summary>
    public static AttemptRequest Step(string stepId, ActionSpec action, StepInputs? inputs, TimeSpan? timeout = null, int attempt = 1) =>
        new($"etl:{stepId}", $"{RunId}:{stepId}", attempt, ScheduledAt, action, timeout ?? TimeSpan.FromSeconds(20), DagRunId: RunId, Inputs: inputs);

    /// <summary>Attempt 1 of a plain job's execution.</summary>
    public static AttemptRequest Job(ActionSpec action) =>
        new("nightly", "nightly@20260115T020000.0000000Z", 1, ScheduledAt, action, TimeSpan.FromSeconds(20));

    public Task<ActionResult> RunAsync(AttemptRequest request) => Actions.RunAsync(request, CancellationToken.None);

    public void Dispose() => _services.Dispose();

    /// <summary>Answers every request 200 and keeps it, with its body read before the runner disposes of it.</summary>
    public sealed class CapturingHttpHandler : HttpMessageHandler
    {
        public ConcurrentQueue<(HttpRequestMessage Request, string? Body)> Received { get; } = new();

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? null : await request.Content.ReadAsStringAsync(cancellationToken);
            Received.Enqueue((request, body));
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent("ok") };
        }
    }
}

/// <summary>
/// Handler <c>step-output</c>: writes what it was given, then publishes <c>rows</c> (the upstream <c>extract</c>'s rows
/// times ten) and <c>date</c> (the run's parameter), or the single output named in <c>{"name": …}</c>.
/// </summary>
public sealed class StepOutputHandler : IJobHandler
{
    public const string Name = "step-output";

    public Task ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        foreach (var (step, outputs) in context.Upstream)
        {
            foreach (var (name, value) in outputs)
            {
                context.Output.WriteLine($"upstream {step}.{name}={value}");
            }
        }
        foreach (var (name, value) in context.Parameters)
        {
            context.Output.WriteLine($"param {name}={value}");
        }
        if (context.GetPayload<Payload>()?.Name is { } only)
        {
            context.SetOutput(only, "x");
            return Task.CompletedTask;
        }
        var rows = context.Upstream.TryGetValue("extract", out var extract) ? int.Parse(extract["rows"], System.Globalization.CultureInfo.InvariantCulture) : 0;
        context.SetOutput("rows", (rows * 10).ToString(System.Globalization.CultureInfo.InvariantCulture));
        context.SetOutput("date", context.Parameters.GetValueOrDefault("date") ?? "none");
        return Task.CompletedTask;
    }

    private sealed record Payload(string? Name);
}
