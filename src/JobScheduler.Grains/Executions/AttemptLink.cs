using JobScheduler.Grains.Actions;
using JobScheduler.Grains.Hosting;
using JobScheduler.Grains.Nodes;
using Microsoft.Extensions.Logging;
using Orleans.Storage;

namespace JobScheduler.Grains.Executions;

/// <summary>
/// An execution's link to its running attempt: starts it on its node (or re-attaches to it after a re-activation),
/// waits for its result, cancels it, and calls it lost when its node leaves the cluster or no longer knows it. One per
/// execution activation; runs on the grain's scheduler.
/// </summary>
internal sealed partial class AttemptLink(
    IGrainFactory grains,
    IClusterMembershipService membership,
    LocalNode localNode,
    ActionRunner actions,
    TimeProvider time,
    ILogger logger)
{
    private static readonly TimeSpan RunnerWaitSlice = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan RunnerRetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>How many times a start that could not reach a live node is sent (<see cref="RunnerRetryDelay"/> apart).</summary>
    private const int StartTries = 10;
    private static readonly TimeSpan PeekWait = TimeSpan.FromSeconds(1);

    private IAttemptRunnerGrain? _runner;
    private LiveAttempt? _localAttempt;

    /// <summary>Whether an attempt reserves nothing (no ledger involved).</summary>
    public static bool IsFree(ExecutionRequest request) => request.Resources is not { } r || (r.CpuMillis <= 0 && r.MemoryMb <= 0);

    /// <summary>Whether an attempt can run on this node without a reservation: it reserves nothing and the node is not draining.</summary>
    public bool RunsHere(ExecutionRequest request) => IsFree(request) && !localNode.Draining;

    /// <summary>The attempt's record once <paramref name="result"/> is in.</summary>
    public static AttemptInfo Finished(AttemptInfo attempt, ActionResult result, DateTimeOffset finishedAt) => attempt with
    {
        FinishedAt = finishedAt,
        Outcome = result.Outcome,
        ExitCode = result.ExitCode,
        HttpStatus = result.HttpStatus,
        Error = result.Error,
        Output = result.Output,
        OutputTruncated = result.OutputTruncated,
        Limits = result.Limits,
        // Only a succeeded attempt publishes: a failed one's partial outputs must never reach a dependant.
        Outputs = result.Outcome == AttemptOutcome.Succeeded ? result.Outputs : null,
    };

    /// <summary>What attempt <paramref name="attempt"/> of an execution runs with, on whichever node it is placed.</summary>
    public static AttemptRequest RequestFor(ExecutionRequest request, string executionId, AttemptInfo attempt, string? traceParent = null) =>
        new(request.JobId, executionId, attempt.Number, request.ScheduledAt, request.Action, request.Timeout,
            request.Resources?.CpuMillis ?? 0, request.Resources?.MemoryMb ?? 0, request.Resources?.Limits,
            request.DagRunId, request.Inputs, traceParent ?? request.TraceParent);

    /// <summary>
    /// Runs the attempt where it was placed: on this node directly when it reserved nothing, else through its runner grain
    /// (and gives the reservation back when it ends). <paramref name="start"/> is false to re-attach after a re-activation.
    /// </summary>
    public async Task<ActionResult> RunAsync(ExecutionRequest request, string executionId, AttemptInfo attempt, bool start, Func<bool> cancelRequested)
    {
        // The attempt's span is the action's parent, on whichever node it runs (the context travels in the request).
        using var span = SchedulerTracing.StartAttempt(request.TraceParent, executionId, attempt.Number, attempt.Node);
        var result = await RunAttemptAsync(RequestFor(request, executionId, attempt, SchedulerTracing.TraceParentOf(span)), attempt, start, cancelRequested);
        SchedulerTracing.SetOutcome(span, result.Outcome);
        return result;
    }

    private async Task<ActionResult> RunAttemptAsync(AttemptRequest attemptRequest, AttemptInfo attempt, bool start, Func<bool> cancelRequested)
    {
        if (attemptRequest.CpuMillis <= 0 && attemptRequest.MemoryMb <= 0 && attempt.Node == localNode.Id)
        {
            // Reserved nothing and runs on this node: no ledger, no runner grain.
            return await RunHereAsync(attemptRequest, start, cancelRequested);
        }
        try
        {
            return await RunOnNodeAsync(attempt.Node, attemptRequest, start, cancelRequested);
        }
        finally
        {
            await grains.GetGrain<ICapacityLedgerGrain>(0).ReleaseAsync(attemptRequest.ExecutionId);
        }
    }

    /// <summary>
    /// <paramref name="info"/> with its running attempt's output so far (secrets masked), read from the node that runs
    /// it; as it is when no attempt runs, or the node does not answer within a second. Not stored: the attempt's output
    /// is written once, when it ends.
    /// </summary>
    public async Task<ExecutionInfo> WithLiveOutputAsync(ExecutionInfo info)
    {
        if (info.IsTerminal || info.Attempts is not [.., { FinishedAt: null } running])
        {
            return info;
        }
        string? output;
        try
        {
            output = _localAttempt is { } local ? local.Output.Read()
                : _runner is { } runner ? await runner.PeekOutputAsync().WaitAsync(PeekWait, time)
                : null;
        }
        catch (Exception ex) when (ex is TimeoutException or OrleansException)
        {
            return info;
        }
        return string.IsNullOrEmpty(output) ? info : info with { Attempts = [.. info.Attempts[..^1], running with { Output = output }] };
    }

    /// <summary>Cancels the attempt that runs now, if any (its result then says cancelled).</summary>
    public async Task CancelAsync()
    {
        if (_localAttempt is { } local)
        {
            await local.Cancel.CancelAsync();
        }
        else if (_runner is { } runner)
        {
            await runner.CancelAsync();
        }
    }

    /// <summary>Runs the attempt on this silo's node (or re-attaches to it after a re-activation here).</summary>
    private async Task<ActionResult> RunHereAsync(AttemptRequest request, bool start, Func<bool> cancelRequested)
    {
        var key = AttemptRunnerGrain.KeyOf(request.ExecutionId, request.Attempt, localNode.Id);
        var live = start
            ? localNode.StartOrGet(key, new RunningAttempt(request.ExecutionId, request.Attempt, 0, 0), (cancellationToken, output) => actions.RunAsync(request, cancellationToken, output))
            : localNode.Find(key);
        if (live is null)
        {
            return NotKnown(localNode.Id);
        }
        _localAttempt = live;
        try
        {
            if (cancelRequested())
            {
                await live.Cancel.CancelAsync();
            }
            var result = await live.Completion;
            live.Delivered = true;
            return result;
        }
        finally
        {
            _localAttempt = null;
        }
    }

    /// <summary>
    /// Starts the attempt on its node (or re-attaches to it) and long-polls for its result. The attempt is lost when
    /// its node leaves the cluster (Orleans membership) or no longer knows it.
    /// </summary>
    private async Task<ActionResult> RunOnNodeAsync(string nodeId, AttemptRequest request, bool start, Func<bool> cancelRequested)
    {
        var runner = grains.GetGrain<IAttemptRunnerGrain>(AttemptRunnerGrain.KeyOf(request.ExecutionId, request.Attempt, nodeId));
        _runner = runner;
        try
        {
            if (start)
            {
                for (var tries = 1; ; tries++)
                {
                    try
                    {
                        await runner.StartAsync(request);
                        break;
                    }
                    catch (Exception ex) when (!IsNodeAlive(nodeId) || ex is NodeUnavailableException)
                    {
                        return Lost(nodeId);
                    }
                    catch (Exception ex) when (FailoverExceptions.IsExpected(ex) && tries < StartTries)
                    {
                        // The node lives, but the call did not reach it: another silo died under it (the one holding the
                        // grain directory's entry, say). A start is idempotent: ask again rather than give up the run.
                        LogRunnerUnreachable(ex, request.ExecutionId, nodeId);
                        await Task.Delay(RunnerRetryDelay, time);
                    }
                }
            }
            if (cancelRequested())
            {
                await runner.CancelAsync();
            }
            while (true)
            {
                RunnerStatus status;
                try
                {
                    status = await runner.WaitAsync(RunnerWaitSlice);
                }
                catch (Exception ex) when (ex is not InconsistentStateException)
                {
                    if (!IsNodeAlive(nodeId) || ex is NodeUnavailableException)
                    {
                        return Lost(nodeId);
                    }
                    LogRunnerUnreachable(ex, request.ExecutionId, nodeId);
                    await Task.Delay(RunnerRetryDelay, time);
                    continue;
                }
                if (!status.Started)
                {
                    return NotKnown(nodeId);
                }
                if (status.Result is { } result)
                {
                    return result;
                }
                if (!IsNodeAlive(nodeId))
                {
                    return Lost(nodeId);
                }
            }
        }
        finally
        {
            _runner = null;
        }
    }

    private bool IsNodeAlive(string nodeId) => membership.CurrentSnapshot.Members.Values
        .Any(m => m.Status == SiloStatus.Active && LocalNode.IdOf(m.SiloAddress) == nodeId);

    /// <summary>
    /// The node is there but never started the attempt, or no longer knows it: the node restarted, or the attempt's
    /// execution lost its silo after placing it and before the start reached the node.
    /// </summary>
    private static ActionResult NotKnown(string nodeId) =>
        new(AttemptOutcome.Lost, Error: $"The node this attempt was placed on ({nodeId}) does not know it: the node restarted, or the attempt never started there.");

    private static ActionResult Lost(string nodeId) =>
        new(AttemptOutcome.Lost, Error: $"The node running this attempt ({nodeId}) left the cluster before it finished.");

    [LoggerMessage(Level = LogLevel.Warning, Message = "Execution {ExecutionId} could not reach its attempt on node {NodeId}; retrying")]
    private partial void LogRunnerUnreachable(Exception exception, string executionId, string nodeId);
}
