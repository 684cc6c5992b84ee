using System.Diagnostics.Metrics;

namespace JobScheduler.Core.Storage;

/// <summary>
/// What the stores cost, counted where the statements leave the process (meter <c>JobScheduler</c>, the same meter as
/// the grains' metrics). Here in Core because the stores (Grains' memory store, SQLite, PostgreSQL) all reach it and
/// the persistence projects must not depend on the grains. The cost of one execution in statements is what bounds a
/// SQL store under load (see docs/benchmarks.md), so it is counted rather than inferred from timings.
/// <list type="bullet">
/// <item><c>jobscheduler.storage.statements</c> — counter, unit <c>{statement}</c>, tags <c>kind</c>
/// (<c>write</c>|<c>read</c>) and <c>store</c> (<c>postgres</c>|<c>sqlite</c>|<c>memory</c>): one per SQL statement sent
/// (each statement of a PostgreSQL batch; each statement a SQLite unit of work or read runs, transaction control
/// — BEGIN, SAVEPOINT, RELEASE, COMMIT — not counted), including the catalogs' list queries and the reminder tables'
/// range reads. The memory store counts one per operation on its dictionaries (a read, a write or a delete of an
/// entry, a list or count).</item>
/// <item><c>jobscheduler.storage.batch.size</c> — histogram, unit <c>{statement}</c>, tags <c>store</c> and
/// <c>queue</c> (<c>write</c>|<c>read</c>): statements per commit, one measurement per PostgreSQL batch (each is one
/// round trip and one implicit transaction; the read queue also carries writes with RETURNING) and per SQLite write
/// transaction.</item>
/// <item><c>jobscheduler.storage.write.duration</c> — histogram, unit <c>s</c>, tag <c>store</c>: how long one commit of
/// the write queue took, from sending the batch (PostgreSQL) or BEGIN (SQLite) until the database confirmed it.</item>
/// <item><c>jobscheduler.reminders.rows.read</c> — counter, unit <c>{row}</c>, tag <c>store</c>: reminder rows returned by
/// the reminder table's range reads, which Orleans' reminder service makes for every hash range a silo owns at start-up,
/// on every ring change and every <c>RefreshReminderListPeriod</c> (5 minutes): what one reminder per job costs at
/// rest (docs/scale.md).</item>
/// </list>
/// Schema migrations at start-up are not counted.
/// </summary>
public static class StorageMetrics
{
    public const string MeterName = "JobScheduler";
    public const string StatementsName = "jobscheduler.storage.statements";
    public const string BatchSizeName = "jobscheduler.storage.batch.size";
    public const string ReminderRowsName = "jobscheduler.reminders.rows.read";
    public const string WriteDurationName = "jobscheduler.storage.write.duration";

    public const string Postgres = "postgres";
    public const string Sqlite = "sqlite";
    public const string Memory = "memory";

    /// <summary>The scheduler's meter, shared with the grains' metrics (<c>SchedulerMetrics</c>).</summary>
    public static Meter Meter { get; } = new(MeterName);

    private static readonly Counter<long> Statements = Meter.CreateCounter<long>(
        StatementsName, unit: "{statement}", description: "Statements sent to the store (memory: operations on its dictionaries), tagged kind (write|read) and store.");

    private static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(
        BatchSizeName, unit: "{statement}", description: "Statements per commit (a PostgreSQL batch, a SQLite write transaction), tagged store and queue.");

    private static readonly Histogram<double> WriteDuration = Meter.CreateHistogram<double>(
        WriteDurationName, unit: "s", description: "Time one commit of the store's write queue took, tagged store.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] });

    private static readonly Counter<long> ReminderRows = Meter.CreateCounter<long>(
        ReminderRowsName, unit: "{row}", description: "Reminder rows returned by the reminder table's range reads (the reminder service's refresh), tagged store.");

    /// <summary>Counts <paramref name="rows"/> reminder rows a range read of <paramref name="store"/> returned.</summary>
    public static void RecordReminderRows(string store, int rows)
    {
        if (ReminderRows.Enabled && rows > 0)
        {
            ReminderRows.Add(rows, new KeyValuePair<string, object?>("store", store));
        }
    }

    /// <summary>Counts <paramref name="count"/> statements of <paramref name="store"/>.</summary>
    public static void RecordStatements(string store, bool write, int count = 1)
    {
        if (Statements.Enabled && count > 0)
        {
            Statements.Add(count, new KeyValuePair<string, object?>("kind", write ? "write" : "read"), new KeyValuePair<string, object?>("store", store));
        }
    }

    /// <summary>Records how long one commit of <paramref name="store"/>'s write queue took since <paramref name="startTimestamp"/> (<see cref="System.Diagnostics.Stopwatch.GetTimestamp()"/>).</summary>
    public static void RecordWrite(string store, long startTimestamp)
    {
        if (WriteDuration.Enabled)
        {
            WriteDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("store", store));
        }
    }

    /// <summary>Records one commit of <paramref name="statements"/> statements.</summary>
    public static void RecordBatch(string store, bool writeQueue, int statements)
    {
        if (BatchSize.Enabled)
        {
            BatchSize.Record(statements, new KeyValuePair<string, object?>("store", store), new KeyValuePair<string, object?>("queue", writeQueue ? "write" : "read"));
        }
    }
}
