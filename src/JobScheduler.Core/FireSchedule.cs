using Cronos;

namespace JobScheduler.Core;

/// <summary>
/// A validated, ready-to-evaluate schedule. Fire instants are computed from the definition and an anchor that
/// stays fixed while the definition stays the same, so they are stable across restarts and never drift.
/// </summary>
public sealed class FireSchedule
{
    /// <summary>The shortest interval accepted.</summary>
    public static readonly TimeSpan MinimumInterval = TimeSpan.FromMilliseconds(100);

    private readonly DateTimeOffset _at;
    private readonly TimeSpan _every;
    private readonly DateTimeOffset _intervalBase;
    private readonly CronExpression? _cron;
    private readonly TimeZoneInfo _zone = TimeZoneInfo.Utc;

    private FireSchedule(ScheduleKind kind) => Kind = kind;

    private FireSchedule(DateTimeOffset at) : this(ScheduleKind.Once) => _at = at;

    private FireSchedule(TimeSpan every, DateTimeOffset intervalBase) : this(ScheduleKind.Interval)
    {
        _every = every;
        _intervalBase = intervalBase;
    }

    private FireSchedule(CronExpression cron, TimeZoneInfo zone) : this(ScheduleKind.Cron)
    {
        _cron = cron;
        _zone = zone;
    }

    public ScheduleKind Kind { get; }

    /// <summary>
    /// Builds the schedule of <paramref name="spec"/>. <paramref name="plannedAt"/> is when the definition was
    /// created or last replaced; an interval without <c>startAt</c> is anchored there.
    /// </summary>
    /// <exception cref="ArgumentException">The spec is invalid; <see cref="JobSpecValidator"/> gives field-level errors.</exception>
    public static FireSchedule Create(ScheduleSpec spec, DateTimeOffset plannedAt)
    {
        var errors = new List<FieldError>();
        var schedule = TryCreate(spec, plannedAt, "schedule", errors);
        return schedule ?? throw new ArgumentException(string.Join("; ", errors.Select(e => $"{e.Field}: {e.Message}")), nameof(spec));
    }

    internal static FireSchedule? TryCreate(ScheduleSpec spec, DateTimeOffset plannedAt, string field, List<FieldError> errors)
    {
        switch (spec.Kind)
        {
            case null:
                errors.Add(new($"{field}.kind", "is required: once, interval, cron or manual."));
                return null;
            case ScheduleKind.Once:
                if (spec.At is not { } at)
                {
                    errors.Add(new($"{field}.at", "is required for a once schedule (an ISO-8601 instant)."));
                    return null;
                }
                return new FireSchedule(at);
            case ScheduleKind.Interval:
                if (spec.Every is not { } every)
                {
                    errors.Add(new($"{field}.every", "is required for an interval schedule (an ISO-8601 duration such as PT30S)."));
                    return null;
                }
                if (every < MinimumInterval)
                {
                    errors.Add(new($"{field}.every", every <= TimeSpan.Zero
                        ? "must be a positive duration."
                        : $"must be at least {MinimumInterval.TotalMilliseconds:0} ms."));
                    return null;
                }
                if (spec.StartAt is null && DateTimeOffset.MaxValue - plannedAt < every)
                {
                    // Definitions are bounded before they are stored (CheckLimits); this keeps a call with any value from throwing.
                    errors.Add(new($"{field}.every", "is out of range."));
                    return null;
                }
                return new FireSchedule(every, spec.StartAt ?? plannedAt + every);
            case ScheduleKind.Cron:
                return TryCreateCron(spec, field, errors);
            case ScheduleKind.Manual:
                return new FireSchedule(ScheduleKind.Manual);
            default:
                errors.Add(new($"{field}.kind", $"'{spec.Kind}' is not a schedule kind: once, interval, cron or manual."));
                return null;
        }
    }

    /// <summary>
    /// The bounds a submitted schedule keeps (<see cref="InputLimits"/>): its instants and its interval. Checked on
    /// submission only, so that a definition stored before a bound existed still loads. False when one is broken.
    /// </summary>
    internal static bool CheckLimits(ScheduleSpec spec, string field, List<FieldError> errors)
    {
        var before = errors.Count;
        InputLimits.CheckInstant(spec.At, $"{field}.at", errors);
        InputLimits.CheckInstant(spec.StartAt, $"{field}.startAt", errors);
        if (spec.Every > InputLimits.MaxInterval)
        {
            errors.Add(new($"{field}.every", $"must be at most {System.Xml.XmlConvert.ToString(InputLimits.MaxInterval)}."));
        }
        InputLimits.CheckText(spec.Expression, 256, $"{field}.expression", errors);
        InputLimits.CheckText(spec.TimeZone, 128, $"{field}.timeZone", errors);
        return errors.Count == before;
    }

    private static FireSchedule? TryCreateCron(ScheduleSpec spec, string field, List<FieldError> errors)
    {
        var zone = TimeZoneInfo.Utc;
        if (!string.IsNullOrWhiteSpace(spec.TimeZone) && !TimeZoneInfo.TryFindSystemTimeZoneById(spec.TimeZone, out zone))
        {
            errors.Add(new($"{field}.timeZone", $"'{spec.TimeZone}' is not a known IANA time zone (e.g. Europe/London, America/New_York, UTC)."));
            zone = null;
        }
        if (string.IsNullOrWhiteSpace(spec.Expression))
        {
            errors.Add(new($"{field}.expression", "is required for a cron schedule."));
            return null;
        }
        var expression = spec.Expression.Trim();
        var fields = expression.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
        CronFormat format;
        if (expression.StartsWith('@'))
        {
            format = CronFormat.Standard;
        }
        else if (fields is 5 or 6)
        {
            format = fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard;
        }
        else
        {
            errors.Add(new($"{field}.expression", $"'{expression}' has {fields} fields; a cron expression has 5 (minute hour day month weekday) or 6 (with a leading seconds field)."));
            return null;
        }
        CronExpression cron;
        try
        {
            cron = CronExpression.Parse(expression, format);
        }
        catch (CronFormatException ex)
        {
            errors.Add(new($"{field}.expression", $"'{expression}' is not a valid cron expression: {ex.Message}"));
            return null;
        }
        if (zone is null)
        {
            return null;
        }
        if (cron.GetNextOccurrence(DateTimeOffset.UnixEpoch, zone) is null)
        {
            errors.Add(new($"{field}.expression", $"'{expression}' never fires."));
            return null;
        }
        return new FireSchedule(cron, zone);
    }

    /// <summary>The first fire of a definition planned at <paramref name="plannedAt"/>; a once instant already past is returned as is (it fires at once).</summary>
    public DateTimeOffset? First(DateTimeOffset plannedAt) => Kind switch
    {
        ScheduleKind.Once => _at,
        ScheduleKind.Interval => plannedAt <= _intervalBase ? _intervalBase : NextAfter(plannedAt - TimeSpan.FromTicks(1)),
        ScheduleKind.Cron => NextAfter(plannedAt),
        _ => null,
    };

    /// <summary>The first fire strictly after <paramref name="instant"/>; null when there is none.</summary>
    public DateTimeOffset? NextAfter(DateTimeOffset instant)
    {
        switch (Kind)
        {
            case ScheduleKind.Once:
                return _at > instant ? _at : null;
            case ScheduleKind.Interval:
                if (instant < _intervalBase)
                {
                    return _intervalBase;
                }
                var periods = (instant - _intervalBase).Ticks / _every.Ticks + 1;
                var offset = periods * (double)_every.Ticks;
                // Past the last representable instant the schedule has no more fires (only a definition stored before the bounds can get there).
                return offset > (DateTimeOffset.MaxValue - _intervalBase).Ticks ? null : _intervalBase + TimeSpan.FromTicks(periods * _every.Ticks);
            case ScheduleKind.Cron:
                return _cron!.GetNextOccurrence(instant, _zone, inclusive: false)?.ToUniversalTime();
            default:
                return null;
        }
    }
}
