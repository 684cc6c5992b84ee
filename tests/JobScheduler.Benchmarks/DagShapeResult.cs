namespace JobScheduler.Benchmarks;

/// <summary>
/// One run of the dag workload (a fan-out/fan-in or a chain): one row of the dag table, and one object of the JSON.
/// Step-to-step latency is per step that had to wait: its action's start minus the end of its last upstream step's
/// action (both noted by the <see cref="ProbeHandler"/>), in ms. Times from the trigger run from just before the
/// trigger call was made.
/// </summary>
internal sealed record DagShapeResult(
    string Shape,
    string State,
    int Steps,
    int Edges,
    double StepToStepMeanMs,
    double StepToStepP50Ms,
    double StepToStepP99Ms,
    double StepToStepMaxMs,
    double? JoinMs,
    double TriggerToFinishedSeconds,
    double RunOwnSeconds,
    double TriggerToSeenSeconds,
    double TriggerAnsweredMs,
    double TriggerToFirstActionMs,
    double LastActionToFinishedMs,
    int Dropped)
{
    /// <summary>The stages measured while the run went (from its trigger until shortly after it ended).</summary>
    public StageSummary[] Stages { get; init; } = [];

    /// <summary>Statements, commits and grain calls counted over the same time; executions = the steps that ran.</summary>
    public CostTotals? Cost { get; init; }
}
