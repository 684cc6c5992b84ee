using JobScheduler.Core.Storage;

namespace JobScheduler.Persistence.Sqlite.Tests;

/// <summary>Grain states and ids for the storage tests.</summary>
internal static class Rows
{
    public static readonly DateTimeOffset T0 = new(2030, 1, 1, 12, 0, 0, TimeSpan.Zero);

    public static GrainId JobGrain(string id) => GrainId.Create(StateNames.Job, id);

    public static GrainId ExecutionGrain(string id) => GrainId.Create(StateNames.Execution, id);

    public static JobGrainState Job(string id, string owner = "alice", JobState state = JobState.Active, Dictionary<string, string>? tags = null) => new()
    {
        Job = new JobInfo
        {
            Id = id,
            Owner = owner,
            State = state,
            Tags = tags,
            Schedule = new ScheduleSpec { Kind = ScheduleKind.Manual },
            CreatedAt = T0,
            UpdatedAt = T0,
            NextFireAt = T0.AddMinutes(1),
        },
        PlannedAt = T0,
    };

    public static ExecutionGrainState Execution(string jobId, DateTimeOffset scheduledAt, ExecutionState state = ExecutionState.Running, params AttemptInfo[] attempts) => new()
    {
        Info = new ExecutionInfo
        {
            Id = $"{jobId}@{scheduledAt:O}",
            JobId = jobId,
            Owner = "alice",
            ScheduledAt = scheduledAt,
            State = state,
            CreatedAt = scheduledAt,
            FinishedAt = state is ExecutionState.Succeeded or ExecutionState.Failed or ExecutionState.Cancelled ? scheduledAt.AddSeconds(1) : null,
            Attempts = attempts,
        },
    };

    public static AttemptInfo Attempt(int number, AttemptOutcome? outcome, string? output) => new()
    {
        Number = number,
        Node = "n1",
        StartedAt = T0,
        FinishedAt = outcome is null ? null : T0.AddSeconds(1),
        Outcome = outcome,
        Output = output,
    };
}
