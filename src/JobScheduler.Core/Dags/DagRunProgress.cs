namespace JobScheduler.Core.Dags;

/// <summary>
/// The state machine of one DAG run, over its steps' states (SPEC §6). The run grain does the I/O — starting and
/// cancelling executions, subscribing <c>waitFor</c> steps, writing the row — and asks this class what follows each
/// event. Only the direct dependants of a step that changed are looked at (a worklist, not a scan), so a 1,000-step
/// fan-in costs one look per edge.
/// <para>Conditions are evaluated once every upstream step is done, except that an <c>allSucceeded</c> step is skipped
/// as soon as one upstream step ends in a way that can never satisfy it.</para>
/// </summary>
public sealed class DagRunProgress
{
    private readonly DagRunRequest _request;
    private readonly string _runId;
    private readonly Dictionary<string, int> _index;
    private readonly int[][] _upstream;
    private readonly int[][] _downstream;
    private readonly DagStepRunInfo[] _steps;

    /// <param name="runId">The run's id (step execution ids derive from it).</param>
    /// <param name="request">The run's snapshot of the DAG.</param>
    /// <param name="steps">The steps' stored states, in <paramref name="request"/>'s order; null for a new run (all pending).</param>
    public DagRunProgress(string runId, DagRunRequest request, IReadOnlyList<DagStepRunInfo>? steps)
    {
        _runId = runId;
        _request = request;
        var specs = request.Steps;
        _index = new Dictionary<string, int>(specs.Length, StringComparer.Ordinal);
        for (var i = 0; i < specs.Length; i++)
        {
            _index[specs[i].Id!] = i;
        }
        _upstream = [.. specs.Select(s => (s.DependsOn ?? []).Select(d => _index[d]).Distinct().ToArray())];
        var downstream = specs.Select(_ => new List<int>()).ToArray();
        for (var i = 0; i < specs.Length; i++)
        {
            foreach (var up in _upstream[i])
            {
                downstream[up].Add(i);
            }
        }
        _downstream = [.. downstream.Select(d => d.ToArray())];
        _steps = steps is null
            ? [.. specs.Select(s => new DagStepRunInfo { Id = s.Id!, State = StepState.Pending })]
            : [.. steps];
    }

    /// <summary>The steps' current states, in the DAG's order (a copy).</summary>
    public DagStepRunInfo[] Snapshot() => [.. _steps];

    public DagStepRunInfo Step(string stepId) => _steps[_index[stepId]];

    public DagStepSpec Spec(string stepId) => _request.Steps[_index[stepId]];

    public bool Contains(string stepId) => _index.ContainsKey(stepId);

    /// <summary>Steps whose execution runs now.</summary>
    public IEnumerable<DagStepRunInfo> Running => _steps.Where(s => s.State == StepState.Running);

    /// <summary>Steps waiting for another job's or DAG's run.</summary>
    public IEnumerable<DagStepRunInfo> Waiting => _steps.Where(s => s.State == StepState.Waiting);

    /// <summary>Whether every step is done.</summary>
    public bool AllDone => _steps.All(s => s.IsDone);

    /// <summary>
    /// Decides the pending steps that depend on <paramref name="changed"/> (every pending step when null: a new run, a
    /// retry, or a re-activation): skips those whose condition can no longer hold (and, transitively, what depends on
    /// them), and returns those whose condition holds — to start now, or to wait first when they have <c>waitFor</c>
    /// (these are already marked <c>waiting</c>, with their deadline).
    /// </summary>
    public StepDecisions Advance(IEnumerable<string>? changed, DateTimeOffset now)
    {
        var start = new List<string>();
        var wait = new List<string>();
        var work = new Queue<int>(changed is null
            ? Enumerable.Range(0, _steps.Length)
            : changed.Where(_index.ContainsKey).SelectMany(id => _downstream[_index[id]]));
        while (work.TryDequeue(out var i))
        {
            if (_steps[i].State != StepState.Pending)
            {
                continue;
            }
            switch (Evaluate(i))
            {
                case Verdict.Run when Spec(i).WaitFor is { } waitFor:
                    _steps[i] = _steps[i] with
                    {
                        State = StepState.Waiting,
                        WaitUntil = now + (waitFor.Timeout ?? DefaultWaitTimeout),
                        Reason = $"waiting for a successful run of {WaitTarget(waitFor)} scheduled since {WaitSince(waitFor):O}",
                    };
                    wait.Add(_steps[i].Id);
                    break;
                case Verdict.Run:
                    start.Add(_steps[i].Id);
                    break;
                case Verdict.Skip:
                    _steps[i] = _steps[i] with { State = StepState.Skipped, FinishedAt = now, Reason = SkipReason(i) };
                    foreach (var down in _downstream[i])
                    {
                        work.Enqueue(down);
                    }
                    break;
            }
        }
        return new StepDecisions(start, wait);
    }

    /// <summary>How long a <c>waitFor</c> without a timeout waits.</summary>
    public static readonly TimeSpan DefaultWaitTimeout = TimeSpan.FromHours(1);

    /// <summary>How far back a <c>waitFor</c> without <c>within</c> looks.</summary>
    public static readonly TimeSpan DefaultWithin = TimeSpan.FromHours(24);

    /// <summary>The earliest scheduled instant a run that satisfies <paramref name="waitFor"/> may have: the run's scheduled instant less <c>within</c>.</summary>
    public DateTimeOffset WaitSince(WaitForSpec waitFor) => _request.ScheduledAt - (waitFor.Within ?? DefaultWithin);

    /// <summary>Marks a step as started (its next try) and returns the execution id to start it under.</summary>
    public string Start(string stepId, DateTimeOffset now)
    {
        var i = _index[stepId];
        var tries = _steps[i].Tries + 1;
        var executionId = DagRunId.StepExecution(_runId, stepId, tries);
        _steps[i] = _steps[i] with
        {
            State = StepState.Running,
            Tries = tries,
            ExecutionId = executionId,
            StartedAt = now,
            FinishedAt = null,
            WaitUntil = null,
            Reason = null,
            Outputs = [],
        };
        return executionId;
    }

    /// <summary>
    /// Applies a step execution's end. False when it is not news: another try's execution, a step not running, or an
    /// execution not finished.
    /// </summary>
    public bool Finish(string stepId, ExecutionInfo execution)
    {
        if (!_index.TryGetValue(stepId, out var i) || _steps[i].State != StepState.Running
            || _steps[i].ExecutionId != execution.Id || !execution.IsTerminal)
        {
            return false;
        }
        var last = execution.Attempts.LastOrDefault();
        var outputs = execution.State == ExecutionState.Succeeded && last?.Outputs is { Count: > 0 } published ? published : null;
        var tooMuch = outputs is not null && OutputBytes(_steps.Where(s => s.Id != stepId).Select(s => s.Outputs)) + OutputBytes([outputs]) > MaxRunOutputBytes;
        _steps[i] = _steps[i] with
        {
            State = execution.State switch
            {
                _ when tooMuch => StepState.Failed,
                ExecutionState.Succeeded => StepState.Succeeded,
                ExecutionState.Cancelled => StepState.Cancelled,
                _ => StepState.Failed,
            },
            StartedAt = execution.Attempts.FirstOrDefault()?.StartedAt ?? _steps[i].StartedAt,
            FinishedAt = execution.FinishedAt,
            Outputs = tooMuch || outputs is null ? [] : outputs,
            Reason = tooMuch ? $"outputs: the run's outputs would exceed {MaxRunOutputBytes / 1024} KiB in all"
                : execution.State == ExecutionState.Failed ? last?.Error ?? (last?.ExitCode is { } code ? $"exit code {code}" : null) : null,
        };
        return true;
    }

    /// <summary>The most bytes (UTF-8, names and values) all steps of a run may publish together; a step is capped at 64 KiB on its own.</summary>
    public const int MaxRunOutputBytes = 1024 * 1024;

    private static long OutputBytes(IEnumerable<Dictionary<string, string>> outputs) =>
        outputs.SelectMany(o => o).Sum(kv => (long)System.Text.Encoding.UTF8.GetByteCount(kv.Key) + System.Text.Encoding.UTF8.GetByteCount(kv.Value));

    /// <summary>A waiting step's wait is over (<paramref name="satisfiedBy"/> succeeded): true when the step should start now.</summary>
    public bool Satisfy(string stepId, string satisfiedBy)
    {
        if (!_index.TryGetValue(stepId, out var i) || _steps[i].State != StepState.Waiting)
        {
            return false;
        }
        _steps[i] = _steps[i] with { WaitedFor = satisfiedBy };
        return true;
    }

    /// <summary>Fails the waiting steps whose deadline passed, or the one named, with <paramref name="reason"/>; returns their ids.</summary>
    public IReadOnlyList<string> FailWaits(DateTimeOffset now, string? stepId = null, string? reason = null)
    {
        var failed = new List<string>();
        for (var i = 0; i < _steps.Length; i++)
        {
            var step = _steps[i];
            if (step.State == StepState.Waiting && (stepId is null ? step.WaitUntil <= now : step.Id == stepId))
            {
                _steps[i] = step with
                {
                    State = StepState.Failed,
                    FinishedAt = now,
                    WaitUntil = null,
                    Reason = reason ?? $"waitFor timed out: no successful run of {WaitTarget(Spec(i).WaitFor!)} by {step.WaitUntil:O}",
                };
                failed.Add(step.Id);
            }
        }
        return failed;
    }

    /// <summary>The earliest deadline of a waiting step, if any.</summary>
    public DateTimeOffset? NextWaitDeadline => _steps.Where(s => s.State == StepState.Waiting).Min(s => s.WaitUntil);

    /// <summary>A cancel: pending and waiting steps become cancelled; returns the running ones (whose executions the grain cancels).</summary>
    public IReadOnlyList<DagStepRunInfo> Cancel(DateTimeOffset now)
    {
        for (var i = 0; i < _steps.Length; i++)
        {
            if (_steps[i].State is StepState.Pending or StepState.Waiting)
            {
                _steps[i] = _steps[i] with { State = StepState.Cancelled, FinishedAt = now, WaitUntil = null, Reason = "the run was cancelled" };
            }
        }
        return [.. Running];
    }

    /// <summary>
    /// Resets a finished run for a retry from its failed steps: every step that did not succeed, and every step
    /// downstream of one (a clean-up that ran because of the failure included), goes back to pending; succeeded steps
    /// upstream keep their results and outputs. Returns the ids reset.
    /// </summary>
    public IReadOnlyList<string> ResetForRetry()
    {
        var reset = new bool[_steps.Length];
        var work = new Queue<int>(Enumerable.Range(0, _steps.Length).Where(i => _steps[i].State != StepState.Succeeded));
        while (work.TryDequeue(out var i))
        {
            if (reset[i])
            {
                continue;
            }
            reset[i] = true;
            foreach (var down in _downstream[i])
            {
                work.Enqueue(down);
            }
        }
        var ids = new List<string>();
        for (var i = 0; i < _steps.Length; i++)
        {
            if (reset[i])
            {
                // Tries and the last execution id stay visible until the step starts again.
                _steps[i] = _steps[i] with { State = StepState.Pending, FinishedAt = null, Outputs = [], Reason = null, WaitUntil = null, WaitedFor = null };
                ids.Add(_steps[i].Id);
            }
        }
        return ids;
    }

    /// <summary>
    /// The run's end once every step is done: cancelled when a cancel was asked, failed when a step failed that is not
    /// <c>continueOnFailure</c> (a clean-up that succeeded does not hide it), else succeeded. Null while steps remain.
    /// </summary>
    public DagRunState? Outcome(bool cancelRequested)
    {
        if (!AllDone)
        {
            return null;
        }
        if (cancelRequested)
        {
            return DagRunState.Cancelled;
        }
        for (var i = 0; i < _steps.Length; i++)
        {
            if (_steps[i].State == StepState.Failed && !_request.Steps[i].ContinueOnFailure)
            {
                return DagRunState.Failed;
            }
        }
        return _steps.Any(s => s.State == StepState.Cancelled) ? DagRunState.Cancelled : DagRunState.Succeeded;
    }

    /// <summary>What a step's execution receives: the outputs of its direct upstream steps that succeeded, and the run's parameters.</summary>
    public StepInputs InputsFor(string stepId) => new()
    {
        Upstream = _upstream[_index[stepId]]
            .Where(u => _steps[u] is { State: StepState.Succeeded, Outputs.Count: > 0 })
            .ToDictionary(u => _steps[u].Id, u => _steps[u].Outputs, StringComparer.Ordinal),
        Parameters = _request.Parameters ?? [],
    };

    private DagStepSpec Spec(int i) => _request.Steps[i];

    private Verdict Evaluate(int i)
    {
        var upstream = _upstream[i];
        var condition = Spec(i).Condition;
        if (condition == StepCondition.AllSucceeded && upstream.Any(u => _steps[u].IsDone && !Passed(u)))
        {
            return Verdict.Skip;
        }
        if (!upstream.All(u => _steps[u].IsDone))
        {
            return Verdict.NotYet;
        }
        return condition switch
        {
            StepCondition.AllDone => Verdict.Run,
            StepCondition.AnyFailed => upstream.Any(FailureReached) ? Verdict.Run : Verdict.Skip,
            _ => Verdict.Run,
        };
    }

    /// <summary>An upstream step that lets an <c>allSucceeded</c> dependant run: succeeded, or failed with <c>continueOnFailure</c>.</summary>
    private bool Passed(int u) =>
        _steps[u].State == StepState.Succeeded || (_steps[u].State == StepState.Failed && Spec(u).ContinueOnFailure);

    /// <summary>
    /// Whether a failure reached this step: it failed, or it was skipped because a failure reached one of its upstream
    /// steps. An <c>anyFailed</c> clean-up at the end of a chain so runs whichever link failed.
    /// </summary>
    private bool FailureReached(int u)
    {
        var seen = new HashSet<int>();
        var work = new Stack<int>([u]);
        while (work.TryPop(out var s))
        {
            if (!seen.Add(s))
            {
                continue;
            }
            if (_steps[s].State == StepState.Failed)
            {
                return true;
            }
            if (_steps[s].State == StepState.Skipped)
            {
                foreach (var up in _upstream[s])
                {
                    work.Push(up);
                }
            }
        }
        return false;
    }

    private string SkipReason(int i)
    {
        var upstream = _upstream[i].Select(u => _steps[u]).ToArray();
        return Spec(i).Condition switch
        {
            StepCondition.AnyFailed => "no upstream step failed",
            _ => upstream.FirstOrDefault(u => u.IsDone && u.State != StepState.Succeeded) is { } blocking
                ? $"upstream step '{blocking.Id}' {Name(blocking.State)}"
                : "its upstream steps did not all succeed",
        };
    }

    private static string WaitTarget(WaitForSpec waitFor) => waitFor.Job is { } job ? $"job '{job}'" : $"DAG '{waitFor.Dag}'";

    private static string Name(StepState state) => state switch
    {
        StepState.Failed => "failed",
        StepState.Skipped => "was skipped",
        StepState.Cancelled => "was cancelled",
        _ => state.ToString().ToLowerInvariant(),
    };

    private enum Verdict
    {
        NotYet,
        Run,
        Skip,
    }
}

/// <summary>What <see cref="DagRunProgress.Advance"/> decided: steps to start now, and steps that now wait for another job's or DAG's run.</summary>
public sealed record StepDecisions(IReadOnlyList<string> Start, IReadOnlyList<string> Wait);
