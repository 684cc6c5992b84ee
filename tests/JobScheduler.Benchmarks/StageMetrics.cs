using System.Diagnostics.Metrics;

namespace JobScheduler.Benchmarks;

/// <summary>
/// Listens to the server's <c>jobscheduler.stage.duration</c> histogram (meter <c>JobScheduler</c>, tag <c>stage</c>)
/// and keeps every measurement per stage, whatever stage names arrive, until <see cref="TakeSnapshot"/>. On the same
/// listener it adds up what the work cost: <c>jobscheduler.storage.statements</c> (by <c>kind</c>),
/// <c>jobscheduler.storage.batch.size</c> (by <c>queue</c>), <c>jobscheduler.grain.calls</c> (by <c>interface</c>)
/// and <c>jobscheduler.executions.finished</c>, into a <see cref="CostTotals"/> per snapshot.
/// </summary>
internal sealed class StageMetrics : IDisposable
{
    public const string MeterName = "JobScheduler";
    public const string InstrumentName = "jobscheduler.stage.duration";
    public const string StatementsName = "jobscheduler.storage.statements";
    public const string BatchSizeName = "jobscheduler.storage.batch.size";
    public const string GrainCallsName = "jobscheduler.grain.calls";
    public const string FinishedName = "jobscheduler.executions.finished";
    public const string ReminderRowsName = "jobscheduler.reminders.rows.read";

    private static readonly string[] Listened = [InstrumentName, StatementsName, BatchSizeName, GrainCallsName, FinishedName, ReminderRowsName];

    /// <summary>Samples kept per stage between snapshots; count and mean go on beyond it, percentiles use the first ones.</summary>
    private const int MaxSamples = 2_000_000;

    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private Dictionary<string, Samples> _stages = new(StringComparer.Ordinal);
    private Cost _cost = new();

    public StageMetrics()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeterName && Listened.Contains(instrument.Name))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<float>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>The stages of one execution's path, in order; others follow by name.</summary>
    private static readonly string[] KnownStages = ["submission", "fire", "start", "placement", "persistence", "run"];

    /// <summary>The stages measured and the cost counted since the previous snapshot, and starts afresh.</summary>
    public (StageSummary[] Stages, CostTotals Cost) TakeSnapshot()
    {
        Dictionary<string, Samples> taken;
        Cost cost;
        lock (_lock)
        {
            taken = _stages;
            cost = _cost;
            _stages = new(StringComparer.Ordinal);
            _cost = new();
        }
        StageSummary[] stages = [.. taken
            .OrderBy(s => Array.IndexOf(KnownStages, s.Key) is var i && i >= 0 ? i : KnownStages.Length)
            .ThenBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => s.Value.Summarise(s.Key))];
        return (stages, cost.Totals());
    }

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        switch (instrument.Name)
        {
            case StatementsName:
                var write = Tag(tags, "kind") == "write";
                lock (_lock)
                {
                    if (write)
                    {
                        _cost.WriteStatements += (long)value;
                    }
                    else
                    {
                        _cost.ReadStatements += (long)value;
                    }
                }
                return;
            case BatchSizeName:
                var writeQueue = Tag(tags, "queue") != "read";
                lock (_lock)
                {
                    if (writeQueue)
                    {
                        _cost.WriteCommits++;
                        _cost.WriteCommitStatements += (long)value;
                    }
                    else
                    {
                        _cost.ReadCommits++;
                        _cost.ReadCommitStatements += (long)value;
                    }
                }
                return;
            case GrainCallsName:
                var grainInterface = Tag(tags, "interface");
                lock (_lock)
                {
                    _cost.GrainCalls[grainInterface] = _cost.GrainCalls.GetValueOrDefault(grainInterface) + (long)value;
                }
                return;
            case FinishedName:
                lock (_lock)
                {
                    _cost.Executions += (long)value;
                }
                return;
            case ReminderRowsName:
                lock (_lock)
                {
                    _cost.ReminderRowsRead += (long)value;
                }
                return;
        }
        var stage = Tag(tags, "stage");
        lock (_lock)
        {
            if (!_stages.TryGetValue(stage, out var samples))
            {
                _stages[stage] = samples = new Samples();
            }
            samples.Add(value);
        }
    }

    private static string Tag(ReadOnlySpan<KeyValuePair<string, object?>> tags, string key)
    {
        foreach (var tag in tags)
        {
            if (tag.Key == key)
            {
                return tag.Value?.ToString() ?? "(none)";
            }
        }
        return "(none)";
    }

    /// <summary>The running totals between two snapshots (guarded by the listener's lock).</summary>
    private sealed class Cost
    {
        public long Executions;
        public long WriteStatements;
        public long ReadStatements;
        public long WriteCommits;
        public long WriteCommitStatements;
        public long ReadCommits;
        public long ReadCommitStatements;
        public long ReminderRowsRead;
        public readonly Dictionary<string, long> GrainCalls = new(StringComparer.Ordinal);

        public CostTotals Totals() => new(Executions, WriteStatements, ReadStatements, GrainCalls.Values.Sum(), WriteCommits,
            WriteCommitStatements, ReadCommits, ReadCommitStatements, new SortedDictionary<string, long>(GrainCalls, StringComparer.Ordinal))
        {
            ReminderRowsRead = ReminderRowsRead,
        };
    }

    private sealed class Samples
    {
        private readonly List<double> _values = [];
        private long _count;
        private double _sum;

        public void Add(double value)
        {
            _count++;
            _sum += value;
            if (_values.Count < MaxSamples)
            {
                _values.Add(value);
            }
        }

        public StageSummary Summarise(string stage)
        {
            _values.Sort();
            return new StageSummary(stage, _count, _sum / _count, Report.Percentile(_values, 0.50), Report.Percentile(_values, 0.99), _values[^1]);
        }
    }
}

/// <summary>One stage of one workload: how many measurements, their mean, median, 99th percentile and maximum, in ms.</summary>
internal sealed record StageSummary(string Stage, long Count, double MeanMs, double P50Ms, double P99Ms, double MaxMs);

/// <summary>
/// What one workload cost the server, counted from its metrics while the workload ran (submission, firing,
/// execution and whatever listing the workload does): statements sent to the store by kind, commits of the write
/// path (PostgreSQL's write queue, SQLite's writer) and of PostgreSQL's read queue with their statements, grain calls
/// received (per interface) and executions finished (any final state).
/// </summary>
internal sealed record CostTotals(
    long Executions,
    long WriteStatements,
    long ReadStatements,
    long GrainCalls,
    long WriteCommits,
    long WriteCommitStatements,
    long ReadCommits,
    long ReadCommitStatements,
    SortedDictionary<string, long> GrainCallsByInterface)
{
    /// <summary>Reminder rows returned by the reminder table's range reads (the reminder service's refreshes).</summary>
    public long ReminderRowsRead { get; init; }

    public double? WritesPerExecution => Per(WriteStatements, Executions);

    public double? ReadsPerExecution => Per(ReadStatements, Executions);

    public double? GrainCallsPerExecution => Per(GrainCalls, Executions);

    /// <summary>Statements per commit of the write path (null in memory, which has no commits).</summary>
    public double? MeanBatchSize => Per(WriteCommitStatements, WriteCommits);

    /// <summary>Statements per PostgreSQL read-queue batch (reads, and writes that return rows).</summary>
    public double? MeanReadBatchSize => Per(ReadCommitStatements, ReadCommits);

    public static double? Per(long total, long count) => count > 0 ? (double)total / count : null;
}
