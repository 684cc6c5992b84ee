namespace JobScheduler.Core;

/// <summary>What to do with the fire times that are due when a job wakes up.</summary>
/// <param name="Fire">Instants to fire now, oldest first.</param>
/// <param name="Skipped">Due instants that are not fired (misfire policy); a lower bound when the backlog was huge.</param>
/// <param name="NextFireAt">The first fire time after now, or null when the schedule is exhausted.</param>
public sealed record FirePlan(IReadOnlyList<DateTimeOffset> Fire, long Skipped, DateTimeOffset? NextFireAt);

/// <summary>
/// Decides which due fire times run. A fire time that is due by no more than the misfire threshold is on time
/// and always runs; older ones are misfires and follow the job's <see cref="MisfirePolicy"/>.
/// </summary>
public static class MisfirePlanner
{
    /// <summary>The most due instants ever enumerated in one wake-up; beyond that the backlog is skipped.</summary>
    public const int MaxEnumerated = 10_000;

    public static FirePlan Plan(
        FireSchedule schedule,
        DateTimeOffset? nextFireAt,
        DateTimeOffset now,
        TimeSpan misfireThreshold,
        MisfirePolicy policy,
        int maxCatchUp)
    {
        if (nextFireAt is not { } first || first > now)
        {
            return new FirePlan([], 0, nextFireAt);
        }

        var late = new List<DateTimeOffset>();
        var onTime = new List<DateTimeOffset>();
        long skippedUncounted = 0;
        DateTimeOffset? cursor = first;
        while (cursor is { } due && due <= now)
        {
            if (late.Count + onTime.Count >= MaxEnumerated)
            {
                // A backlog this large is never replayed in full: jump to the present.
                skippedUncounted = 1;
                cursor = schedule.NextAfter(now);
                break;
            }
            (now - due <= misfireThreshold ? onTime : late).Add(due);
            cursor = schedule.NextAfter(due);
        }

        var fire = new List<DateTimeOffset>();
        switch (policy)
        {
            case MisfirePolicy.FireAll:
                fire.AddRange(late.Take(Math.Max(0, maxCatchUp)));
                break;
            case MisfirePolicy.FireOnce when onTime.Count == 0 && late.Count > 0:
                fire.Add(late[^1]);
                break;
        }
        fire.AddRange(onTime);
        var skipped = late.Count + onTime.Count - fire.Count + skippedUncounted;
        return new FirePlan(fire, skipped, cursor);
    }
}
