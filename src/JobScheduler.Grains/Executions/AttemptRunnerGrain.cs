using JobScheduler.Grains.Actions;
using JobScheduler.Grains.Nodes;
using Orleans.Concurrency;

namespace JobScheduler.Grains.Executions;

/// <summary>Runs one attempt on the node the ledger reserved; keyed <c>{executionId}#{attempt}@{node}</c>.</summary>
[Alias("JobScheduler.IAttemptRunnerGrain")]
public interface IAttemptRunnerGrain : IGrainWithStringKey
{
    /// <summary>Starts the attempt in the background; a second call does nothing.</summary>
    [Alias("Start")]
    Task StartAsync(AttemptRequest request);

    [Alias("Cancel"), AlwaysInterleave]
    Task CancelAsync();

    /// <summary>Waits up to <paramref name="maxWait"/> for the result.</summary>
    [Alias("Wait"), AlwaysInterleave]
    Task<RunnerStatus> WaitAsync(TimeSpan maxWait);
}

/// <summary>What a runner knows of its attempt: nothing (it never started here), running, or finished.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.RunnerStatus")]
public sealed record RunnerStatus(bool Started, ActionResult? Result);

/// <summary>
/// The attempt itself, placed by <see cref="NodePlacement"/> on the node the ledger chose. It keeps nothing in
/// storage: if its node dies, the execution grain notices through membership and records the attempt as lost.
/// </summary>
[GrainType("attempt-runner"), NodePlacement]
public sealed class AttemptRunnerGrain(ActionRunner runner, LocalNode node) : Grain, IAttemptRunnerGrain
{
    private readonly TaskCompletionSource<ActionResult> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _cancel = new();
    private bool _started;

    public Task StartAsync(AttemptRequest request)
    {
        if (_started)
        {
            return Task.CompletedTask;
        }
        _started = true;
        node.Track(new RunningAttempt(request.ExecutionId, request.Attempt, request.CpuMillis, request.MemoryMb));
        _ = Task.Run(async () =>
        {
            try
            {
                _done.TrySetResult(await runner.RunAsync(request, _cancel.Token));
            }
            finally
            {
                node.Untrack(request.ExecutionId);
            }
        });
        return Task.CompletedTask;
    }

    public Task CancelAsync() => _cancel.CancelAsync();

    public async Task<RunnerStatus> WaitAsync(TimeSpan maxWait)
    {
        if (!_started)
        {
            DeactivateOnIdle();
            return new RunnerStatus(false, null);
        }
        try
        {
            var result = await _done.Task.WaitAsync(maxWait, TimeProvider.System);
            DeactivateOnIdle();
            return new RunnerStatus(true, result);
        }
        catch (TimeoutException)
        {
            return new RunnerStatus(true, null);
        }
    }

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        // A runner deactivated while its attempt still runs (silo shutting down) stops it; the execution re-runs it.
        if (!_done.Task.IsCompleted)
        {
            _cancel.Cancel();
        }
        return Task.CompletedTask;
    }
}
