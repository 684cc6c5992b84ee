using JobScheduler.Core.Jobs;

namespace JobScheduler.Core.Dags;

/// <summary>
/// A DAG's schedule follows exactly a job's rules (<see cref="JobPlanning"/>, <see cref="JobFireRound"/>: misfire,
/// concurrency, pause and resume): this maps a DAG to the job-shaped view those rules read, and their result back.
/// </summary>
public static class DagScheduling
{
    /// <summary>The DAG's schedule; none given means manual (runs only when triggered).</summary>
    public static ScheduleSpec ScheduleOf(DagSpec dag) => dag.Schedule ?? ScheduleSpec.Manual();

    /// <summary>The scheduling fields of <paramref name="dag"/> as a job.</summary>
    public static JobInfo AsJob(DagInfo dag) => new()
    {
        Id = dag.Id,
        Owner = dag.Owner,
        Schedule = ScheduleOf(dag),
        Concurrency = dag.Concurrency,
        Misfire = dag.Misfire,
        State = dag.State,
        NextFireAt = dag.NextFireAt,
        LastFireAt = dag.LastFireAt,
        SkippedFires = dag.SkippedFires,
        CreatedAt = dag.CreatedAt,
        UpdatedAt = dag.UpdatedAt,
    };

    /// <summary><paramref name="dag"/> with the scheduling fields of <paramref name="planned"/> (a result of the job rules).</summary>
    public static DagInfo Apply(DagInfo dag, JobInfo planned) => dag with
    {
        State = planned.State,
        NextFireAt = planned.NextFireAt,
        LastFireAt = planned.LastFireAt,
        SkippedFires = planned.SkippedFires,
        UpdatedAt = planned.UpdatedAt,
    };
}
