using JobScheduler.Core.Storage;
using static JobScheduler.Persistence.Sqlite.Tests.Rows;

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>DAG and DAG run grain states, and step executions, for the storage tests.</summary>
internal static class DagRows
{
    public static GrainId DagGrain(string id) => GrainId.Create(StateNames.Dag, id);

    public static GrainId RunGrain(string id) => GrainId.Create(StateNames.DagRun, id);

    public static DagGrainState Dag(string id, string owner = "alice", JobState state = JobState.Active, Dictionary<string, string>? tags = null, DateTimeOffset? nextFireAt = null) => new()
    {
        Dag = new DagInfo
        {
            Id = id,
            Owner = owner,
            State = state,
            Tags = tags,
            Schedule = new ScheduleSpec { Kind = ScheduleKind.Manual },
            Steps = [new DagStepSpec { Id = "extract" }],
            CreatedAt = T0,
            UpdatedAt = T0,
            NextFireAt = state == JobState.Active ? nextFireAt ?? T0.AddMinutes(1) : null,
        },
        PlannedAt = T0,
    };

    public static DagRunGrainState Run(string dagId, DateTimeOffset scheduledAt, DagRunState state = DagRunState.Running) => new()
    {
        Run = new DagRunInfo
        {
            Id = DagRunId.For(dagId, scheduledAt),
            DagId = dagId,
            Owner = "alice",
            State = state,
            ScheduledAt = scheduledAt,
            StartedAt = scheduledAt,
            FinishedAt = state == DagRunState.Running ? null : scheduledAt.AddSeconds(30),
            Steps = [new DagStepRunInfo { Id = "extract", State = state == DagRunState.Running ? StepState.Running : StepState.Succeeded }],
        },
        Request = new DagRunRequest { DagId = dagId, Owner = "alice", ScheduledAt = scheduledAt, Steps = [new DagStepSpec { Id = "extract" }] },
    };

    /// <summary>The execution of a step of the run of <paramref name="dagId"/> at <paramref name="scheduledAt"/>.</summary>
    public static ExecutionGrainState StepExecution(string dagId, string stepId, DateTimeOffset scheduledAt, ExecutionState state)
    {
        var execution = Execution(DagRunId.StepJobId(dagId, stepId), scheduledAt, state);
        execution.Info = execution.Info! with { Id = DagRunId.StepExecution(DagRunId.For(dagId, scheduledAt), stepId, 1) };
        return execution;
    }
}
