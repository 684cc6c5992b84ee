using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using JobScheduler.Core.Storage;
using JobScheduler.Grains.Hosting;

namespace JobScheduler.Grains.Tests;

/// <summary>
/// The cost counters the benchmark reads: grain calls to the scheduler's interfaces only (Orleans' system targets
/// and its own grains are left out), and the memory store's operations as statements. Other tests run in the same
/// process at the same time, so the assertions are lower bounds and exclusions.
/// </summary>
public sealed class MetricsTests : IClassFixture<RealClockCluster>, IDisposable
{
    private readonly RealClockCluster _fixture;
    private readonly ConcurrentQueue<(string Instrument, long Value, string? Tag)> _measurements = new();
    private readonly MeterListener _listener;

    public MetricsTests(RealClockCluster fixture)
    {
        _fixture = fixture;
        _listener = Listen(_measurements);
    }

    [Fact]
    public async Task GrainCalls_AreCountedPerSchedulerInterface_AndNotForOrleansOwnCalls()
    {
        var job = _fixture.Client.GetGrain<IJobGrain>($"metrics-{Guid.NewGuid():n}");
        await job.PutAsync(new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("noop") }, "test", createOnly: true);
        await job.GetAsync();
        await job.GetAsync();

        var calls = _measurements.Where(m => m.Instrument == SchedulerMetrics.GrainCallsName).ToList();
        Assert.True(calls.Where(c => c.Tag == nameof(IJobGrain)).Sum(c => c.Value) >= 3);
        var ours = typeof(IJobGrain).Assembly.GetTypes().Concat(typeof(SchedulerMetrics).Assembly.GetTypes())
            .Where(t => t.IsInterface && t.Namespace?.StartsWith("JobScheduler", StringComparison.Ordinal) == true)
            .Select(t => t.Name)
            .ToHashSet();
        Assert.All(calls, c => Assert.Contains(c.Tag ?? "(none)", ours));
    }

    [Fact]
    public async Task TheMemoryStore_CountsAWriteAndAReadAsStatements()
    {
        var job = _fixture.Client.GetGrain<IJobGrain>($"metrics-{Guid.NewGuid():n}");
        await job.PutAsync(new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("noop") }, "test", createOnly: true);

        var statements = _measurements.Where(m => m.Instrument == StorageMetrics.StatementsName).ToList();
        // The job's activation read its (missing) state, and its creation wrote it.
        Assert.Contains(statements, m => m.Tag == "read");
        Assert.Contains(statements, m => m.Tag == "write");
    }

    public void Dispose() => _listener.Dispose();

    private static MeterListener Listen(ConcurrentQueue<(string Instrument, long Value, string? Tag)> queue)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == SchedulerMetrics.MeterName
                    && instrument.Name is SchedulerMetrics.GrainCallsName or StorageMetrics.StatementsName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? tag = null;
            foreach (var t in tags)
            {
                if (t.Key is "interface" or "kind")
                {
                    tag = t.Value as string;
                }
            }
            queue.Enqueue((instrument.Name, value, tag));
        });
        listener.Start();
        return listener;
    }
}
