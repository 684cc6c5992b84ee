using System.Buffers.Text;
using System.Globalization;
using System.Text;

namespace JobScheduler.Core.Storage;

/// <summary>
/// Opaque keyset cursors: an id for job and DAG lists, (scheduledAt, id) for execution and DAG run lists.
/// </summary>
public static class CatalogCursor
{
    public static string ForJob(string id) => Encode(id);

    public static string? JobAfter(string? cursor) => string.IsNullOrEmpty(cursor) ? null : Decode(cursor);

    public static string ForExecution(ExecutionInfo last) =>
        Encode($"{last.ScheduledAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}|{last.Id}");

    public static (DateTimeOffset ScheduledAt, string Id)? ExecutionAfter(string? cursor) => ScheduledAfter(cursor);

    public static string ForRun(DagRunInfo last) =>
        Encode($"{last.ScheduledAt.UtcTicks.ToString(CultureInfo.InvariantCulture)}|{last.Id}");

    public static (DateTimeOffset ScheduledAt, string Id)? RunAfter(string? cursor) => ScheduledAfter(cursor);

    private static (DateTimeOffset ScheduledAt, string Id)? ScheduledAfter(string? cursor)
    {
        if (string.IsNullOrEmpty(cursor))
        {
            return null;
        }
        var text = Decode(cursor);
        var bar = text.IndexOf('|', StringComparison.Ordinal);
        if (bar > 0 && long.TryParse(text.AsSpan(0, bar), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            && ticks <= DateTimeOffset.MaxValue.UtcTicks)
        {
            return (new DateTimeOffset(ticks, TimeSpan.Zero), text[(bar + 1)..]);
        }
        throw Invalid();
    }

    private static string Encode(string text) => Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

    private static string Decode(string cursor)
    {
        try
        {
            return Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor));
        }
        catch (FormatException)
        {
            throw Invalid();
        }
    }

    private static ArgumentException Invalid() => new("cursor is not a cursor this server returned.", "cursor");
}
