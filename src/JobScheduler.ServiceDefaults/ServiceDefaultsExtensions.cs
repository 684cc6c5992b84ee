using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace JobScheduler.ServiceDefaults;

/// <summary>
/// Telemetry and health checks for every JobScheduler process (silo, API front door, or both), in the eShop shape.
/// Traces, metrics and logs are collected and sent over OTLP when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the Aspire
/// app host sets it; elsewhere point it at the standalone Aspire dashboard, see docs/observability.md). With it unset
/// nothing is collected or exported and nothing fails.
/// </summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>The OpenTelemetry SDK's standard variable; its presence turns the OTLP exporter on.</summary>
    public const string OtlpEndpointVariable = "OTEL_EXPORTER_OTLP_ENDPOINT";

    /// <summary>
    /// <c>JobScheduler:Telemetry:OrleansMetrics</c>: also export Orleans' own meter (<c>orleans-*</c>: messaging,
    /// activations, grain call latency). Off by default: it records several measurements per grain message.
    /// </summary>
    public const string OrleansMetricsKey = "JobScheduler:Telemetry:OrleansMetrics";

    /// <summary>The OpenTelemetry SDK's sampler setting; when set it replaces <see cref="TraceRootSampler"/>.</summary>
    public const string SamplerVariable = "OTEL_TRACES_SAMPLER";

    /// <summary>
    /// Adds OpenTelemetry (the scheduler's own ActivitySource and Meter, Orleans', ASP.NET Core's and HttpClient's) and
    /// a liveness check named <c>self</c>. Idempotent: a second call adds nothing.
    /// </summary>
    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.Any(d => d.ServiceType == typeof(ServiceDefaultsMarker)))
        {
            return builder;
        }
        builder.Services.AddSingleton<ServiceDefaultsMarker>();
        builder.ConfigureOpenTelemetry();
        builder.AddDefaultHealthChecks();
        return builder;
    }

    /// <summary>
    /// Logs, metrics and traces through OpenTelemetry, exported over OTLP, when the endpoint variable is set. Without
    /// it the OpenTelemetry SDK is not started at all: nothing is collected, exported or paid for (the scheduler's
    /// ActivitySource and Meter stay visible to in-process listeners such as dotnet-counters, dotnet-trace or a test).
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration[OtlpEndpointVariable]))
        {
            return builder;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            // The instance id an orchestrator gives (Aspire sets service.instance.id in OTEL_RESOURCE_ATTRIBUTES, and its
            // dashboard ties telemetry to a resource by it) is kept; without one, each process gets a fresh one, so
            // several silos on one machine stay apart.
            .ConfigureResource(resource => resource.AddService(
                serviceName: builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : builder.Environment.ApplicationName,
                autoGenerateServiceInstanceId: builder.Configuration["OTEL_RESOURCE_ATTRIBUTES"]?.Contains("service.instance.id=", StringComparison.Ordinal) != true))
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(TelemetryNames.Meter)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                if (builder.Configuration.GetValue(OrleansMetricsKey, false))
                {
                    metrics.AddMeter(TelemetryNames.OrleansMeter);
                }
            })
            .WithTracing(tracing =>
            {
                tracing
                    .AddSource(TelemetryNames.ActivitySource, TelemetryNames.OrleansActivitySource)
                    .AddAspNetCoreInstrumentation(aspnet =>
                        // Health probes every few seconds are noise in a trace view.
                        aspnet.Filter = context => !context.Request.Path.StartsWithSegments("/health"))
                    .AddHttpClientInstrumentation();
                if (string.IsNullOrWhiteSpace(builder.Configuration[SamplerVariable]))
                {
                    // Traces start at a request or a fire; the standard OTEL_TRACES_SAMPLER replaces this when set.
                    tracing.SetSampler(new ParentBasedSampler(new TraceRootSampler()));
                }
            })
            // Reads the endpoint, protocol (grpc by default; http/protobuf) and headers from the standard OTEL_EXPORTER_OTLP_*
            // settings, from the environment or any other configuration source.
            .UseOtlpExporter();
        return builder;
    }

    /// <summary>A liveness check that only says the process answers; the hosts add their own readiness checks.</summary>
    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.Services.AddHealthChecks().AddCheck("self", () => HealthCheckResult.Healthy(), ["live"]);
        return builder;
    }

    private sealed class ServiceDefaultsMarker;
}
