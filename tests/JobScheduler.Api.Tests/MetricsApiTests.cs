using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using JobScheduler.Core.Storage;
using JobScheduler.Grains.Hosting;

namespace JobScheduler.Api.Tests;

/// <summary>
/// The operators' metrics (docs/observability.md) are emitted under their documented names, units and tags by a real
/// server (SQLite storage). Other tests run in the same process at the same time, so the assertions look for this test's
/// measurements (its job's priority, 7, is used by no other test) or are lower bounds.
/// </summary>
public sealed class MetricsApiTests(CommandsEnabledServer server) : IClassFixture<CommandsEnabledServer>, IDisposable
{
    private const int Priority = 7;

    private readonly ConcurrentQueue<Measured> _measured = new();
    private MeterListener? _listener;

    [Fact]
    public async Task AScheduledFailingCommandWithARetry_EmitsLatenessStartedRetriedFinishedAndActive()
    {
        _listener = Listen(_measured);
        var at = DateTimeOffset.UtcNow.AddMilliseconds(800);
        var body = $$$"""
            {"schedule":{"kind":"once","at":"{{{at:O}}}"},"priority":{{{Priority}}},
             "action":{"kind":"command","command":"sh","args":["-c","exit 3"]},
             "retry":{"maxAttempts":2,"initialBackoff":"PT0.1S","maxBackoff":"PT1S","multiplier":2,"jitter":0}}
            """;
        using var put = await server.Http.SendJsonAsync(HttpMethod.Put, "/api/jobs/metered", body);
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);

        var execution = await server.Sdk.WaitForCompletionAsync(ExecutionId.For("metered", at));

        Assert.Equal(ExecutionState.Failed, execution.State);
        Assert.Contains(_measured, m => m.Name == SchedulerMetrics.FireLatenessName && m.Unit == "s" && m.Value >= 0);
        Assert.Contains(_measured, m => m.Name == SchedulerMetrics.ExecutionsStartedName && m.Tags["trigger"] as string == "schedule");
        Assert.Contains(_measured, m => m.Name == SchedulerMetrics.AttemptsRetriedName && m.Tags["reason"] as string == "failed");
        Assert.Contains(_measured, m => m.Name == SchedulerMetrics.ExecutionsFinishedName && m.Tags["state"] as string == "Failed");
        // This execution went through running and retrying at priority 7, and is counted in none of them now.
        var active = _measured.Where(m => m.Name == SchedulerMetrics.ExecutionsActiveName && Equals(m.Tags["priority"], Priority)).ToList();
        Assert.Contains(active, m => m.Tags["state"] as string == "running" && m.Value == 1);
        Assert.Contains(active, m => m.Tags["state"] as string == "retrying" && m.Value == 1);
        Assert.Equal(0, active.Sum(m => m.Value));
        // SQLite's write queue committed this job's and execution's rows.
        Assert.Contains(_measured, m => m.Name == StorageMetrics.WriteDurationName && m.Unit == "s" && m.Tags["store"] as string == "sqlite" && m.Value > 0);
        Assert.Contains(_measured, m => m.Name == StorageMetrics.BatchSizeName && m.Tags["store"] as string == "sqlite" && m.Value >= 1);
    }

    [Fact]
    public void NodeCapacity_IsReportedReservedAndFree_ForThisNode()
    {
        _listener = Listen(_measured);

        _listener.RecordObservableInstruments();

        var cpu = _measured.Where(m => m.Name == SchedulerMetrics.NodeCpuName).ToList();
        Assert.Contains(cpu, m => m.Tags["state"] as string == "reserved" && m.Value >= 0);
        Assert.Contains(cpu, m => m.Tags["state"] as string == "free" && m.Value > 0);
        Assert.All(cpu, m => Assert.Equal("{millicpu}", m.Unit));
        var memory = _measured.Where(m => m.Name == SchedulerMetrics.NodeMemoryName).ToList();
        Assert.Contains(memory, m => m.Tags["state"] as string == "free" && m.Value > 0);
        Assert.All(memory, m => Assert.Equal("MiBy", m.Unit));
        // Per node, reserved and free add up to the capacity configured (the whole machine by default).
        var thisNode = cpu.GroupBy(m => m.Tags["node"]).First();
        Assert.Equal(Environment.ProcessorCount * 1000, thisNode.Sum(m => m.Value));
    }

    public void Dispose() => _listener?.Dispose();

    private sealed record Measured(string Name, string? Unit, double Value, IReadOnlyDictionary<string, object?> Tags);

    private static MeterListener Listen(ConcurrentQueue<Measured> queue)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == SchedulerMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        void Add(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var copy = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                copy[tag.Key] = tag.Value;
            }
            queue.Enqueue(new Measured(instrument.Name, instrument.Unit, value, copy));
        }
        listener.SetMeasurementEventCallback<long>((i, v, t, _) => Add(i, v, t));
        listener.SetMeasurementEventCallback<int>((i, v, t, _) => Add(i, v, t));
        listener.SetMeasurementEventCallback<double>((i, v, t, _) => Add(i, v, t));
        listener.Start();
        return listener;
    }
}
