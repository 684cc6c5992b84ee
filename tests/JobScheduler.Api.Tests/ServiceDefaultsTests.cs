using System.Diagnostics;
using JobScheduler.Grains.Hosting;
using JobScheduler.ServiceDefaults;
using JobScheduler.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;

namespace JobScheduler.Api.Tests;

/// <summary>
/// ServiceDefaults turn OpenTelemetry on only with <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>: then the scheduler's spans reach
/// an OTLP receiver (here a local one on 127.0.0.1); without it nothing is collected and the host still starts.
/// </summary>
public sealed class ServiceDefaultsTests
{
    [Fact]
    public async Task WithoutAnEndpoint_NoTracerIsStarted_AndTheHostRunsWithItsLivenessCheck()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.AddServiceDefaults();
        using var host = builder.Build();
        await host.StartAsync();

        Assert.Null(host.Services.GetService<TracerProvider>());
        var health = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, health.Status);
        Assert.Contains("self", health.Entries.Keys);
        await host.StopAsync();
    }

    [Theory]
    [InlineData("jobscheduler.fire", ActivityKind.Internal, SamplingDecision.RecordAndSample)]
    [InlineData(TraceRootSampler.AspNetCoreRequest, ActivityKind.Server, SamplingDecision.RecordAndSample)]
    [InlineData("JobScheduler.IJobGrain/FireDue", ActivityKind.Client, SamplingDecision.Drop)]
    [InlineData("JobScheduler.IJobGrain/FireDue", ActivityKind.Server, SamplingDecision.Drop)]
    public void TraceRootSampler_StartsTracesAtRequestsAndSchedulerSpansOnly(string name, ActivityKind kind, SamplingDecision expected)
    {
        var parameters = new SamplingParameters(default, ActivityTraceId.CreateRandom(), name, kind);

        Assert.Equal(expected, new TraceRootSampler().ShouldSample(parameters).Decision);
    }

    [Fact]
    public void UnderItsParentBasedSampler_AGrainCallInsideARecordedTrace_IsRecorded()
    {
        var parent = new ActivityContext(ActivityTraceId.CreateRandom(), ActivitySpanId.CreateRandom(), ActivityTraceFlags.Recorded, isRemote: true);
        var sampler = new ParentBasedSampler(new TraceRootSampler());

        var decision = sampler.ShouldSample(new SamplingParameters(parent, parent.TraceId, "JobScheduler.IExecutionGrain/Start", ActivityKind.Server)).Decision;

        Assert.Equal(SamplingDecision.RecordAndSample, decision);
    }

    [Fact]
    public async Task WithAnEndpoint_TheSchedulersSpansAreExportedOverOtlp()
    {
        await using var sink = await OtlpSink.StartAsync();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration[ServiceDefaultsExtensions.OtlpEndpointVariable] = sink.Endpoint;
        builder.Configuration["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
        builder.AddServiceDefaults().AddServiceDefaults();
        using var host = builder.Build();
        await host.StartAsync();
        var tracer = host.Services.GetRequiredService<TracerProvider>();

        using (SchedulerTracing.StartAttempt(null, "exported@1", 1, "node"))
        {
        }
        tracer.ForceFlush(10_000);
        // The batch processor also exports on its own schedule (every 5 s): wait for an export rather than for the flush.
        for (var waited = 0; sink.Requests("traces") == 0 && waited < 300; waited++)
        {
            await Task.Delay(100);
        }

        Assert.True(sink.Requests("traces") >= 1, "no OTLP trace export arrived");
        await host.StopAsync();
    }
}
