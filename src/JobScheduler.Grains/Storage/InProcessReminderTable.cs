using System.Collections.Concurrent;
using System.Globalization;
using JobScheduler.Core.Storage;

namespace JobScheduler.Grains.Storage;

/// <summary>
/// Orleans' reminder table in this process's memory, for the embedded default (one silo; nothing survives a restart).
/// Orleans' own in-memory table is a single grain that every registration queues on; this one is a concurrent
/// dictionary, so creating thousands of jobs at once does not wait on it.
/// </summary>
public sealed class InProcessReminderTable : IReminderTable
{
    private readonly ConcurrentDictionary<(GrainId Grain, string Name), ReminderEntry> _rows = new();
    private long _version;

    public Task Init() => Task.CompletedTask;

    public Task<ReminderTableData> ReadRows(GrainId grainId) =>
        Read(new ReminderTableData(_rows.Values.Where(r => r.GrainId == grainId).Select(Copy)));

    public Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        var rows = new ReminderTableData(_rows.Values.Where(r => InRange(r.GrainId.GetUniformHashCode(), begin, end)).Select(Copy));
        StorageMetrics.RecordReminderRows(StorageMetrics.Memory, rows.Reminders.Count);
        return Read(rows);
    }

    public Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) =>
        Read<ReminderEntry?>(_rows.TryGetValue((grainId, reminderName), out var row) ? Copy(row) : null);

    public Task<string?> UpsertRow(ReminderEntry entry)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: true);
        var stored = Copy(entry);
        stored.ETag = Interlocked.Increment(ref _version).ToString(CultureInfo.InvariantCulture);
        _rows[(entry.GrainId, entry.ReminderName)] = stored;
        return Task.FromResult<string?>(stored.ETag);
    }

    public Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: true);
        var key = (grainId, reminderName);
        return Task.FromResult(_rows.TryGetValue(key, out var row) && row.ETag == eTag
            && _rows.TryRemove(new KeyValuePair<(GrainId, string), ReminderEntry>(key, row)));
    }

    public Task TestOnlyClearTable()
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: true);
        _rows.Clear();
        return Task.CompletedTask;
    }

    /// <summary>A read of the table, counted as one statement of the memory store (<see cref="StorageMetrics"/>).</summary>
    private static Task<T> Read<T>(T result)
    {
        StorageMetrics.RecordStatements(StorageMetrics.Memory, write: false);
        return Task.FromResult(result);
    }

    /// <summary>Whether <paramref name="hash"/> lies in the ring range (begin, end]; begin == end is the whole ring.</summary>
    private static bool InRange(uint hash, uint begin, uint end) =>
        begin < end ? hash > begin && hash <= end : hash > begin || hash <= end;

    private static ReminderEntry Copy(ReminderEntry row) => new()
    {
        GrainId = row.GrainId,
        ReminderName = row.ReminderName,
        StartAt = row.StartAt,
        Period = row.Period,
        ETag = row.ETag,
    };
}
