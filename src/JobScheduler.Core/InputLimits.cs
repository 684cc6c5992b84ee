using System.Globalization;
using System.Xml;

namespace JobScheduler.Core;

/// <summary>
/// The bounds every job and DAG definition keeps, so that a hostile or mistaken value is refused at submission with the
/// field named, instead of overflowing schedule arithmetic, timers or storage after the definition was stored
/// (docs/security.md, "Input limits"). Definitions stored before a bound existed still load: only submissions are checked.
/// </summary>
public static class InputLimits
{
    /// <summary>
    /// The earliest instant a schedule may name (<c>at</c>, <c>startAt</c>): 2000-01-01Z. An instant already past
    /// still fires at once; this only keeps arithmetic on it (misfire windows, <c>waitFor</c> look-backs) in range.
    /// </summary>
    public static readonly DateTimeOffset EarliestInstant = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The first instant a schedule may not name: 9000-01-01Z, far enough below year 9999 that adding any accepted duration stays representable.</summary>
    public static readonly DateTimeOffset LatestInstant = new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>The longest interval (<c>every</c>): 3660 days, so <c>P10Y</c> passes.</summary>
    public static readonly TimeSpan MaxInterval = TimeSpan.FromDays(3660);

    /// <summary>The longest attempt timeout: 30 days (timers cannot wait beyond about 49 days).</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(30);

    /// <summary>The longest retry backoff (<c>initialBackoff</c>, <c>maxBackoff</c>): 7 days.</summary>
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromDays(7);

    public const int MaxNameLength = 200;
    public const int MaxCommandLength = 4096;
    public const int MaxArgs = 1024;
    public const int MaxArgLength = 32 * 1024;
    public const int MaxEnvironmentVariables = 256;
    public const int MaxEnvironmentNameLength = 256;
    public const int MaxEnvironmentValueLength = 32 * 1024;
    public const int MaxPathLength = 4096;
    public const int MaxUrlLength = 8192;
    public const int MaxHeaders = 64;
    public const int MaxHeaderNameLength = 256;
    public const int MaxHeaderValueLength = 8192;

    /// <summary>The longest http action body, in characters.</summary>
    public const int MaxHttpBodyLength = 256 * 1024;

    public const int MaxHandlerNameLength = 200;

    /// <summary>Refuses an instant outside [<see cref="EarliestInstant"/>, <see cref="LatestInstant"/>).</summary>
    internal static void CheckInstant(DateTimeOffset? value, string field, List<FieldError> errors)
    {
        if (value is { } instant && (instant < EarliestInstant || instant >= LatestInstant))
        {
            errors.Add(new(field, $"'{instant.ToString("O", CultureInfo.InvariantCulture)}' is out of range: an instant from {EarliestInstant.Year} to {LatestInstant.Year - 1} is accepted."));
        }
    }

    /// <summary>Refuses a duration that is not positive or is longer than <paramref name="max"/>.</summary>
    internal static void CheckDuration(TimeSpan? value, TimeSpan max, string field, List<FieldError> errors)
    {
        if (value is not { } duration)
        {
            return;
        }
        if (duration <= TimeSpan.Zero)
        {
            errors.Add(new(field, "must be a positive duration."));
        }
        else if (duration > max)
        {
            errors.Add(new(field, $"must be at most {XmlConvert.ToString(max)}."));
        }
    }

    /// <summary>Refuses a string longer than <paramref name="max"/> characters or holding a character that cannot travel where it goes (NUL, or CR/LF when <paramref name="lineBreaksAllowed"/> is false).</summary>
    internal static bool CheckText(string? value, int max, string field, List<FieldError> errors, bool lineBreaksAllowed = true)
    {
        if (value is null)
        {
            return true;
        }
        if (value.Length > max)
        {
            errors.Add(new(field, $"is {value.Length} characters; at most {max} are accepted."));
            return false;
        }
        if (value.Contains('\0') || (!lineBreaksAllowed && value.AsSpan().IndexOfAny('\r', '\n') >= 0))
        {
            errors.Add(new(field, lineBreaksAllowed ? "must not contain a NUL character." : "must not contain NUL, CR or LF characters."));
            return false;
        }
        return true;
    }
}
