using System.Security.Cryptography;
using JobScheduler.Core;
using JobScheduler.Core.Actions;
using JobScheduler.Core.Secrets;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.Options;

namespace JobScheduler.Grains.Actions;

/// <summary>
/// How one attempt of an action ended. <see cref="Outputs"/> is what a succeeded DAG step publishes (null otherwise).
/// The positional parameters are the serialized fields in order: new ones go at the end.
/// </summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.ActionResult")]
public sealed record ActionResult(
    AttemptOutcome Outcome,
    int? ExitCode = null,
    int? HttpStatus = null,
    string? Error = null,
    string? Output = null,
    bool OutputTruncated = false,
    string[]? Limits = null,
    Dictionary<string, string>? Outputs = null);

/// <summary>
/// Everything one attempt needs. A DAG step's (<see cref="DagRunId"/> set) also carries its upstream outputs and the
/// run's parameters. The positional parameters are the serialized fields in order: new ones go at the end.
/// </summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.AttemptRequest")]
public sealed record AttemptRequest(
    string JobId,
    string ExecutionId,
    int Attempt,
    DateTimeOffset ScheduledAt,
    ActionSpec Action,
    TimeSpan? Timeout,
    int CpuMillis = 0,
    int MemoryMb = 0,
    ResourceLimits? Limits = null,
    string? DagRunId = null,
    StepInputs? Inputs = null,
    string? TraceParent = null)
{
    /// <summary>Whether the attempt is a DAG step's: it gets its inputs and may publish outputs.</summary>
    public bool IsDagStep => DagRunId is not null;

    /// <summary>A DAG step's inputs (empty when the run sent none); null for a job's attempt.</summary>
    public StepInputs? DagInputs => IsDagStep ? Inputs ?? NoInputs : null;

    private static readonly StepInputs NoInputs = new();
}

/// <summary>The current action rules of this silo (configuration plus registered handlers).</summary>
public sealed class ActionRulesSource(IOptionsMonitor<JobSchedulerOptions> options, IOptions<JobHandlerCatalog> handlers)
{
    // The policy with the configured list it was parsed from: a reload binds a new list, and a new policy follows.
    // One reference, swapped whole, so concurrent readers never pair a list with another list's policy.
    private ParsedNetworks? _httpNetworks;

    public ActionRules Current
    {
        get
        {
            var command = options.CurrentValue.Actions.Command;
            return new ActionRules
            {
                CommandsEnabled = command.Enabled,
                AllowedExecutables = command.AllowedExecutables,
                Handlers = handlers.Value.Names,
                HttpNetworks = HttpNetworks,
            };
        }
    }

    /// <summary>Which addresses http actions may reach now (JobScheduler:Actions:Http:AllowedNetworks).</summary>
    public NetworkPolicy HttpNetworks
    {
        get
        {
            var allowed = options.CurrentValue.Actions.Http.AllowedNetworks;
            if (_httpNetworks is { } cached && ReferenceEquals(cached.Source, allowed))
            {
                return cached.Policy;
            }
            var policy = NetworkPolicy.Parse(allowed);
            _httpNetworks = new ParsedNetworks(allowed, policy);
            return policy;
        }
    }

    private sealed record ParsedNetworks(List<string> Source, NetworkPolicy Policy);
}

/// <summary>
/// Runs one attempt of any action kind with its timeout and cancellation. The outcome tells a timeout
/// (<see cref="AttemptOutcome.TimedOut"/>) from a cancel (<see cref="AttemptOutcome.Cancelled"/>). The action's secrets
/// are decrypted here, just before the run, and masked in everything recorded of it (output, error, outputs).
/// </summary>
public sealed class ActionRunner(
    CommandActionRunner commands,
    HttpActionRunner http,
    HandlerActionRunner handlers,
    SecretProtector secrets,
    SchedulerClock clock,
    IOptionsMonitor<JobSchedulerOptions> options)
{
    /// <param name="request">The attempt: its action (secrets still sealed), timeout and inputs.</param>
    /// <param name="cancel">The user's cancel (the timeout is the request's own).</param>
    /// <param name="live">Where the output so far can be read while the action runs (masked like the result's).</param>
    public async Task<ActionResult> RunAsync(AttemptRequest request, CancellationToken cancel, LiveOutput? live = null)
    {
        // Current while the action runs: an http action's request carries it as traceparent, a command gets TRACEPARENT.
        using var span = SchedulerTracing.StartAction(request.TraceParent, request.ExecutionId, request.Attempt, request.Action.Kind?.ToString() ?? "unknown");
        var result = await RunCoreAsync(request, cancel, live);
        SchedulerTracing.SetOutcome(span, result.Outcome);
        return result;
    }

    private async Task<ActionResult> RunCoreAsync(AttemptRequest request, CancellationToken cancel, LiveOutput? live)
    {
        IReadOnlyList<string> secretValues;
        try
        {
            request = request with { Action = secrets.Reveal(request.Action, out secretValues) };
        }
        catch (CryptographicException ex)
        {
            // The message names the key, never a value.
            return new ActionResult(AttemptOutcome.Failed, Error: $"the action's secrets could not be decrypted on this node: {ex.Message}");
        }
        var mask = new SecretMask(secretValues);
        using var timeout = request.Timeout is { } limit
            ? new CancellationTokenSource(limit, clock.Time)
            : new CancellationTokenSource();
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancel, timeout.Token);
        var output = new OutputTail(options.CurrentValue.MaxOutputChars);
        live?.Attach(() => mask.Apply(output.ToString(), output.Truncated) ?? "");
        ActionResult result;
        try
        {
            result = request.Action.Kind switch
            {
                ActionKind.Command => await commands.RunAsync(request, output, linked.Token),
                ActionKind.Http => await http.RunAsync(request, output, linked.Token),
                ActionKind.Handler => await handlers.RunAsync(request, output, linked.Token),
                _ => new ActionResult(AttemptOutcome.Failed, Error: $"Unknown action kind '{request.Action.Kind}'."),
            };
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            result = new ActionResult(AttemptOutcome.Cancelled);
        }
        catch (Exception ex)
        {
            result = new ActionResult(AttemptOutcome.Failed, Error: $"{ex.GetType().Name}: {ex.Message}");
        }

        if (result.Outcome != AttemptOutcome.Succeeded && linked.IsCancellationRequested)
        {
            // Whatever the runner saw, a fired token decides: the user's cancel wins over the timeout.
            result = cancel.IsCancellationRequested
                ? result with { Outcome = AttemptOutcome.Cancelled, Error = result.Error ?? "Cancelled." }
                : result with { Outcome = AttemptOutcome.TimedOut, Error = $"Timed out after {System.Xml.XmlConvert.ToString(request.Timeout!.Value)}." };
        }
        if (request.Limits is not null && request.Action.Kind != ActionKind.Command)
        {
            result = result with { Limits = ["not enforced: only command actions run in a process of their own"] };
        }
        var truncated = output.Truncated;
        return result with
        {
            Output = mask.Apply(output.ToString(), truncated),
            OutputTruncated = truncated,
            Error = mask.Apply(result.Error),
            Outputs = mask.Apply(result.Outputs),
        };
    }
}
