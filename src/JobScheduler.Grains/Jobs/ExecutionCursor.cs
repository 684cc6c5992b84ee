using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace JobScheduler.Grains.Jobs;

/// <summary>Keyset cursor over a job's executions, ordered by (scheduledAt, id) descending.</summary>
internal static class ExecutionCursor
{
    public static string Encode(ExecutionRecord last) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{last.ScheduledAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}|{last.Id}"));

    public static (long Ticks, string Id)? Decode(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }
        try
        {
            var text = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
            var bar = text.IndexOf('|', StringComparison.Ordinal);
            return bar > 0 && long.TryParse(text.AsSpan(0, bar), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
                ? (ticks, text[(bar + 1)..])
                : throw new FormatException();
        }
        catch (FormatException)
        {
            throw new ArgumentException("cursor is not a cursor this server returned.", nameof(cursor));
        }
    }

    public static bool IsAfter(ExecutionRecord record, (long Ticks, string Id) cursor) =>
        record.ScheduledAt.UtcTicks < cursor.Ticks
        || (record.ScheduledAt.UtcTicks == cursor.Ticks && string.CompareOrdinal(record.Id, cursor.Id) < 0);
}
