using System.Globalization;
using JobScheduler.Core.Storage;
using Npgsql;
using NpgsqlTypes;

namespace JobScheduler.Persistence.Postgres;

/// <summary>
/// Orleans' reminder table in <c>OrleansRemindersTable</c> (schema 3), with registrations and removals sent through the
/// <see cref="PostgresBatcher"/>: creating thousands of jobs at once registers thousands of reminders, and one commit
/// per registration would bound how fast jobs can be created. The range reads of the reminder service's periodic
/// refresh go straight to the database (they may return many rows). Hashes are stored as Orleans' ADO.NET provider
/// stores them (the uniform hash cast to a signed integer), so rows written by either are read by both.
/// </summary>
public sealed class PostgresReminderTable(string serviceId, NpgsqlDataSource dataSource, PostgresBatcher batcher) : IReminderTable
{
    private const string Columns = "GrainId, ReminderName, StartTime, Period, Version";

    public Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;

    public Task Init() => Task.CompletedTask;

    public Task<ReminderTableData> ReadRows(GrainId grainId) =>
        batcher.QueryAsync(
            $"SELECT {Columns} FROM OrleansRemindersTable WHERE ServiceId = $1 AND GrainId = $2",
            [Text(serviceId), Text(grainId.ToString())],
            ReadAll);

    public async Task<ReminderTableData> ReadRows(uint begin, uint end)
    {
        // The ring is circular: (begin, end] either lies inside the signed range or wraps around it.
        var (first, last) = (unchecked((int)begin), unchecked((int)end));
        await using var command = dataSource.CreateCommand(first < last
            ? $"SELECT {Columns} FROM OrleansRemindersTable WHERE ServiceId = $1 AND GrainHash > $2 AND GrainHash <= $3"
            : $"SELECT {Columns} FROM OrleansRemindersTable WHERE ServiceId = $1 AND (GrainHash > $2 OR GrainHash <= $3)");
        command.Parameters.Add(Text(serviceId));
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = first });
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = last });
        StorageMetrics.RecordStatements(StorageMetrics.Postgres, write: false);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = ReadAll(reader);
        StorageMetrics.RecordReminderRows(StorageMetrics.Postgres, rows.Reminders.Count);
        return rows;
    }

    public async Task<ReminderEntry?> ReadRow(GrainId grainId, string reminderName)
    {
        var rows = await batcher.QueryAsync(
            $"SELECT {Columns} FROM OrleansRemindersTable WHERE ServiceId = $1 AND GrainId = $2 AND ReminderName = $3",
            [Text(serviceId), Text(grainId.ToString()), Text(reminderName)],
            ReadAll);
        return rows.Reminders.FirstOrDefault();
    }

    public async Task<string?> UpsertRow(ReminderEntry entry)
    {
        var version = await batcher.QueryAsync(
            """
            INSERT INTO OrleansRemindersTable AS r (ServiceId, GrainId, ReminderName, StartTime, Period, GrainHash, Version)
            VALUES ($1, $2, $3, $4, $5, $6, 0)
            ON CONFLICT (ServiceId, GrainId, ReminderName) DO UPDATE
                SET StartTime = EXCLUDED.StartTime, Period = EXCLUDED.Period, GrainHash = EXCLUDED.GrainHash,
                    Version = r.Version + 1
            RETURNING Version
            """,
            [
                Text(serviceId),
                Text(entry.GrainId.ToString()),
                Text(entry.ReminderName),
                new NpgsqlParameter<DateTime> { TypedValue = DateTime.SpecifyKind(entry.StartAt, DateTimeKind.Utc), NpgsqlDbType = NpgsqlDbType.TimestampTz },
                new NpgsqlParameter<long> { TypedValue = (long)entry.Period.TotalMilliseconds },
                new NpgsqlParameter<int> { TypedValue = unchecked((int)entry.GrainId.GetUniformHashCode()) },
            ],
            reader => reader.Read() ? reader.GetInt32(0) : throw new InvalidOperationException("The reminder upsert returned no version."));
        return version.ToString(CultureInfo.InvariantCulture);
    }

    public async Task<bool> RemoveRow(GrainId grainId, string reminderName, string eTag)
    {
        if (!int.TryParse(eTag, NumberStyles.Integer, CultureInfo.InvariantCulture, out var version))
        {
            return false;
        }
        var deleted = await batcher.ExecuteAsync(
            "DELETE FROM OrleansRemindersTable WHERE ServiceId = $1 AND GrainId = $2 AND ReminderName = $3 AND Version = $4",
            Text(serviceId), Text(grainId.ToString()), Text(reminderName), new NpgsqlParameter<int> { TypedValue = version });
        return deleted == 1;
    }

    public Task TestOnlyClearTable() =>
        batcher.ExecuteAsync("DELETE FROM OrleansRemindersTable WHERE ServiceId = $1", Text(serviceId));

    private static ReminderTableData ReadAll(NpgsqlDataReader reader)
    {
        var entries = new List<ReminderEntry>();
        while (reader.Read())
        {
            entries.Add(new ReminderEntry
            {
                GrainId = GrainId.Parse(reader.GetString(0)),
                ReminderName = reader.GetString(1),
                StartAt = reader.GetFieldValue<DateTime>(2),
                Period = TimeSpan.FromMilliseconds(reader.GetInt64(3)),
                ETag = reader.GetInt32(4).ToString(CultureInfo.InvariantCulture),
            });
        }
        return new ReminderTableData(entries);
    }

    private static NpgsqlParameter<string> Text(string value) => new() { TypedValue = value };
}
