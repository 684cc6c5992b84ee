using Orleans.Concurrency;

namespace JobScheduler;

/// <summary>One DAG, keyed by its id: its definition, its schedule, and the runs it starts.</summary>
[Alias("JobScheduler.IDagGrain")]
public interface IDagGrain : IGrainWithStringKey
{
    /// <summary>Creates the DAG, or replaces its definition when <paramref name="createOnly"/> is false. Runs already started keep the definition they started with.</summary>
    [Alias("Put")]
    Task<DagWriteResult> PutAsync(DagSpec spec, string owner, bool createOnly);

    [Alias("Get")]
    Task<DagInfo?> GetAsync();

    /// <summary>Deletes the DAG and its finished runs; runs still going finish first. False if there was no DAG.</summary>
    [Alias("Delete")]
    Task<bool> DeleteAsync();

    [Alias("Pause")]
    Task<DagInfo?> PauseAsync();

    [Alias("Resume")]
    Task<DagInfo?> ResumeAsync();

    /// <summary>Starts a run now (paused DAGs too). A repeated <paramref name="idempotencyKey"/> returns the run the first call started.</summary>
    [Alias("Trigger")]
    Task<DagWriteResult> TriggerAsync(DagTriggerOptions? options, string? idempotencyKey = null);

    /// <summary>The DAG's runs, latest scheduled first; null when there is no DAG.</summary>
    [Alias("ListRuns")]
    Task<Page<DagRunInfo>?> ListRunsAsync(DagRunQuery query);

    /// <summary>The cluster's due scanner says the DAG is due soon: activating it arms its timer.</summary>
    [OneWay, Alias("Wake")]
    Task WakeAsync();

    /// <summary>Called by the DAG's own timer: starts whatever runs are due.</summary>
    [Alias("FireDue")]
    Task FireDueAsync();

    /// <summary>A run of this DAG ended.</summary>
    [OneWay, Alias("RunFinished")]
    Task RunFinishedAsync(string runId, DagRunState state);

    /// <summary>
    /// A step of another DAG waits (<c>waitFor.dag</c>) for a successful run of this one scheduled at or after
    /// <paramref name="since"/>: returns such a run's id if one exists, else remembers the waiter until
    /// <paramref name="until"/> and tells it (<see cref="IDagRunGrain.WaitSatisfiedAsync"/>) when one succeeds.
    /// </summary>
    [Alias("AwaitSuccess")]
    Task<WaitAnswer> AwaitSuccessAsync(string runId, string stepId, DateTimeOffset since, DateTimeOffset until);
}

/// <summary>One run of a DAG, keyed by its run id: starts each step the moment its upstream condition holds.</summary>
[Alias("JobScheduler.IDagRunGrain")]
public interface IDagRunGrain : IGrainWithStringKey
{
    /// <summary>Creates and starts the run; a second call for the same id returns the existing run unchanged.</summary>
    [Alias("Start")]
    Task<DagRunInfo> StartAsync(DagRunRequest request);

    /// <summary>The run as it stands (interleaves: a DAG asking its runs never waits on a run that waits on the DAG).</summary>
    [AlwaysInterleave, Alias("Get")]
    Task<DagRunInfo?> GetAsync();

    /// <summary>Cancels every running step (killing its process tree) and marks the steps not started <c>cancelled</c>; null if there is no run.</summary>
    [Alias("Cancel")]
    Task<DagRunInfo?> CancelAsync();

    /// <summary>Re-runs a failed (or cancelled) run from its failed steps: succeeded steps keep their results and outputs.</summary>
    [Alias("Retry")]
    Task<DagRunWriteResult> RetryAsync();

    /// <summary>Waits up to <paramref name="maxWait"/> for the run to finish; its state then (null if it never existed).</summary>
    [AlwaysInterleave, Alias("Wait")]
    Task<DagRunInfo?> WaitAsync(TimeSpan maxWait);

    /// <summary>A step's execution reports its end.</summary>
    [OneWay, Alias("StepFinished")]
    Task StepFinishedAsync(string stepId, ExecutionInfo execution);

    /// <summary>The job or DAG a waiting step waits for has a successful run that counts (<paramref name="satisfiedBy"/>).</summary>
    [OneWay, Alias("WaitSatisfied")]
    Task WaitSatisfiedAsync(string stepId, string satisfiedBy);

    /// <summary>Drops the run (retention). Refused while it runs.</summary>
    [Alias("Forget")]
    Task<bool> ForgetAsync();
}

/// <summary>Queries over all DAGs (the stored rows); a stateless worker on every silo.</summary>
[Alias("JobScheduler.IDagQueryGrain")]
public interface IDagQueryGrain : IGrainWithIntegerKey
{
    [Alias("QueryDags"), ReadOnly]
    Task<Page<DagInfo>> QueryDagsAsync(DagQuery query);
}

/// <summary>The answer to a <c>waitFor</c> subscription.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.WaitAnswer")]
public sealed record WaitAnswer
{
    /// <summary>Whether the job or DAG waited for exists.</summary>
    [Id(0)] public bool Exists { get; init; }

    /// <summary>The execution or run that satisfies the wait now; null when the waiter was remembered.</summary>
    [Id(1)] public string? SatisfiedBy { get; init; }
}

/// <summary>What a DAG step's execution receives from its run: upstream outputs and the run's parameters.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.StepInputs")]
public sealed record StepInputs
{
    /// <summary>Outputs of the step's direct upstream steps that succeeded, by step id.</summary>
    [Id(0)] public Dictionary<string, Dictionary<string, string>> Upstream { get; init; } = [];

    /// <summary>The run's parameters.</summary>
    [Id(1)] public Dictionary<string, string> Parameters { get; init; } = [];
}
