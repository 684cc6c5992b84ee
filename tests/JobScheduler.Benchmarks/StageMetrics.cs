using System.Diagnostics.Metrics;

namespace JobScheduler.Benchmarks;

/// <summary>
/// Listens to the server's <c>jobscheduler.stage.duration</c> histogram (meter <c>JobScheduler</c>, tag <c>stage</c>)
/// and keeps every measurement per stage, whatever stage names arrive, until <see cref="TakeSnapshot"/>.
/// </summary>
internal sealed class StageMetrics : IDisposable
{
    public const string MeterName = "JobScheduler";
    public const string InstrumentName = "jobscheduler.stage.duration";

    /// <summary>Samples kept per stage between snapshots; count and mean go on beyond it, percentiles use the first ones.</summary>
    private const int MaxSamples = 2_000_000;

    private readonly MeterListener _listener = new();
    private readonly Lock _lock = new();
    private Dictionary<string, Samples> _stages = new(StringComparer.Ordinal);

    public StageMetrics()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == MeterName && instrument.Name == InstrumentName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, value, tags, _) => Record(value, tags));
        _listener.SetMeasurementEventCallback<float>((_, value, tags, _) => Record(value, tags));
        _listener.SetMeasurementEventCallback<long>((_, value, tags, _) => Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, _) => Record(value, tags));
        _listener.Start();
    }

    /// <summary>The stages of one execution's path, in order; others follow by name.</summary>
    private static readonly string[] KnownStages = ["submission", "fire", "start", "placement", "persistence", "run", "history"];

    /// <summary>The stages measured since the previous snapshot, and starts afresh.</summary>
    public StageSummary[] TakeSnapshot()
    {
        Dictionary<string, Samples> taken;
        lock (_lock)
        {
            taken = _stages;
            _stages = new(StringComparer.Ordinal);
        }
        return [.. taken
            .OrderBy(s => Array.IndexOf(KnownStages, s.Key) is var i && i >= 0 ? i : KnownStages.Length)
            .ThenBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => s.Value.Summarise(s.Key))];
    }

    public void Dispose() => _listener.Dispose();

    private void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var stage = "(none)";
        foreach (var tag in tags)
        {
            if (tag.Key == "stage")
            {
                stage = tag.Value?.ToString() ?? "(none)";
                break;
            }
        }
        lock (_lock)
        {
            if (!_stages.TryGetValue(stage, out var samples))
            {
                _stages[stage] = samples = new Samples();
            }
            samples.Add(value);
        }
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
