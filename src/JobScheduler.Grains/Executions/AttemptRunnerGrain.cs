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

    /// <summary>The attempt's output so far (secrets masked); null when it is not running here.</summary>
    [Alias("PeekOutput"), AlwaysInterleave]
    Task<string?> PeekOutputAsync();
}

/// <summary>What a runner knows of its attempt: nothing (it never started here), running, or finished.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.RunnerStatus")]
public sealed record RunnerStatus(bool Started, ActionResult? Result);

/// <summary>
/// The front of one attempt, placed by <see cref="NodePlacement"/> on the node the ledger chose. The attempt itself is
/// held by the node (<see cref="LocalNode"/>), so any activation of this grain there reaches it. Nothing is stored:
/// if the node dies, the execution grain notices through membership and records the attempt as lost.
/// </summary>
[GrainType("attempt-runner"), NodePlacement]
public sealed class AttemptRunnerGrain(ActionRunner runner, LocalNode node, TimeProvider time) : Grain, IAttemptRunnerGrain
{
    private string Key => this.GetPrimaryKeyString();

    /// <summary>The key of the runner of attempt <paramref name="attempt"/> of an execution on node <paramref name="nodeId"/>; also the attempt's key on its node.</summary>
    public static string KeyOf(string executionId, int attempt, string nodeId) => $"{executionId}#{attempt}@{nodeId}";

    public Task StartAsync(AttemptRequest request)
    {
        node.StartOrGet(Key, new RunningAttempt(request.ExecutionId, request.Attempt, request.CpuMillis, request.MemoryMb),
            (cancellationToken, output) => runner.RunAsync(request, cancellationToken, output));
        return Task.CompletedTask;
    }

    public async Task CancelAsync()
    {
        if (node.Find(Key) is { } live)
        {
            await live.Cancel.CancelAsync();
        }
    }

    public Task<string?> PeekOutputAsync() => Task.FromResult(node.Find(Key) is { Completion.IsCompleted: false } live ? live.Output.Read() : null);

    public async Task<RunnerStatus> WaitAsync(TimeSpan maxWait)
    {
        if (node.Find(Key) is not { } live)
        {
            DeactivateOnIdle();
            return new RunnerStatus(false, null);
        }
        try
        {
            var result = await live.Completion.WaitAsync(maxWait, time);
            live.Delivered = true;
            DeactivateOnIdle();
            return new RunnerStatus(true, result);
        }
        catch (TimeoutException)
        {
            return new RunnerStatus(true, null);
        }
    }
}
