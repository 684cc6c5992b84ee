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
                // A backlog this large is never replayed in full. Keep the oldest late fires (for fireAll), then
                // jump to the present: the on-time fires still run, and the latest late one stands for the rest.
                skippedUncounted = 1;
                var lateEnd = now - misfireThreshold;
                onTime.Clear();
                for (var t = schedule.NextAfter(lateEnd.AddTicks(-1)); t is { } onTimeDue && onTimeDue <= now; t = schedule.NextAfter(onTimeDue))
                {
                    onTime.Add(onTimeDue);
                }
                if (LatestAtOrBefore(schedule, lateEnd.AddTicks(-1), due) is { } latestLate && latestLate > late[^1])
                {
                    late.Add(latestLate);
                }
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

    /// <summary>
    /// The latest fire time at or before <paramref name="limit"/> and not before <paramref name="earliest"/>,
    /// searched in windows growing back from the limit, so a dense schedule costs few evaluations.
    /// </summary>
    private static DateTimeOffset? LatestAtOrBefore(FireSchedule schedule, DateTimeOffset limit, DateTimeOffset earliest)
    {
        for (var window = TimeSpan.FromMinutes(1); ; window *= 4)
        {
            var from = limit - window < earliest ? earliest.AddTicks(-1) : limit - window;
            DateTimeOffset? latest = null;
            var count = 0;
            for (var t = schedule.NextAfter(from); t is { } due && due <= limit && count < MaxEnumerated; t = schedule.NextAfter(due))
            {
                latest = due;
                count++;
            }
            if (latest is not null && count < MaxEnumerated)
            {
                return latest;
            }
            if (from < earliest || count >= MaxEnumerated)
            {
                return latest;
            }
        }
    }
}
