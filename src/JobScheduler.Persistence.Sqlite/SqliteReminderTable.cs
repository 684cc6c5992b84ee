using System.Globalization;
using JobScheduler.Core.Storage;
using Microsoft.Data.Sqlite;
using static JobScheduler.Persistence.Sqlite.SqliteSql;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>
/// Orleans' reminder table in the SQLite file (<c>reminders</c>), so job reminders survive a restart. Registrations and
/// removals go through the group-commit <see cref="SqliteWriter"/> (creating thousands of jobs registers thousands of
/// reminders). The grain hash is stored as the unsigned value Orleans computes, so a range of the ring is a plain
/// comparison, wrapping around when it crosses zero. The ETag is the row's version, which each upsert increments.
/// </summary>
public sealed class SqliteReminderTable(string serviceId, SqliteDatabase database) : IReminderTable
{
    private const string Columns = "grain_id, reminder_name, start_time, period_ms, version";

    public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task Init() => Task.CompletedTask;

    public Task<ReminderTableData> ReadRows(GrainId grainId) =>
        ReadAsync($"SELECT {Columns} FROM reminders WHERE service_id = $1 AND grain_id = $2", serviceId, grainId.ToString());

    public async Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        // The ring is circular: (begin, end] either lies between the two or wraps around zero (begin == end is the whole ring).
        var rows = await ReadAsync(
            begin < end
                ? $"SELECT {Columns} FROM reminders WHERE service_id = $1 AND grain_hash > $2 AND grain_hash <= $3"
                : $"SELECT {Columns} FROM reminders WHERE service_id = $1 AND (grain_hash > $2 OR grain_hash <= $3)",
            serviceId, (long)begin, (long)end);
        StorageMetrics.RecordReminderRows(StorageMetrics.Sqlite, rows.Reminders.Count);
        return rows;
    }

    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName) =>
        (await ReadAsync(
            $"SELECT {Columns} FROM reminders WHERE service_id = $1 AND grain_id = $2 AND reminder_name = $3",
            serviceId, grainId.ToString(), reminderName)).Reminders.FirstOrDefault();

    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        var version = await database.Writer.WriteAsync(connection =>
        {
            using var command = Command(
                connection,
                """
                INSERT INTO reminders (service_id, grain_id, reminder_name, start_time, period_ms, grain_hash, version)
                VALUES ($1, $2, $3, $4, $5, $6, 0)
                ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
                    SET start_time = excluded.start_time, period_ms = excluded.period_ms, grain_hash = excluded.grain_hash,
                        version = version + 1
                RETURNING version
                """,
                serviceId, entry.GrainId.ToString(), entry.ReminderName, DateTime.SpecifyKind(entry.StartAt, DateTimeKind.Utc).Ticks,
                (long)entry.Period.TotalMilliseconds, (long)entry.GrainId.GetUniformHashCode());
            return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        });
        return version.ToString(CultureInfo.InvariantCulture);
    }

    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        if (!long.TryParse(eTag, NumberStyles.Integer, CultureInfo.InvariantCulture, out var version))
        {
            return false;
        }
        return await database.Writer.ExecuteAsync(
            "DELETE FROM reminders WHERE service_id = $1 AND grain_id = $2 AND reminder_name = $3 AND version = $4",
            serviceId, grainId.ToString(), reminderName, version) == 1;
    }

    public Task TestOnlyClearTable() => database.Writer.ExecuteAsync("DELETE FROM reminders WHERE service_id = $1", serviceId);

    private Task<ReminderTableData> ReadAsync(string sql, params object?[] values) =>
        database.ReadAsync(connection =>
        {
            using var command = Command(connection, sql, values);
            using var reader = command.ExecuteReader();
            return ReadAll(reader);
        });

    private static ReminderTableData ReadAll(SqliteDataReader reader)
    {
        var entries = new List<ReminderEntry>();
        while (reader.Read())
        {
            entries.Add(new ReminderEntry
            {
                GrainId = GrainId.Parse(reader.GetString(0)),
                ReminderName = reader.GetString(1),
                StartAt = new DateTime(reader.GetInt64(2), DateTimeKind.Utc),
                Period = TimeSpan.FromMilliseconds(reader.GetInt64(3)),
                ETag = reader.GetInt64(4).ToString(CultureInfo.InvariantCulture),
            });
        }
        return new ReminderTableData(entries);
    }
}
