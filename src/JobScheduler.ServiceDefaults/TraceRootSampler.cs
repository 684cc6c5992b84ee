using System.Diagnostics;
using OpenTelemetry.Trace;

namespace JobScheduler.ServiceDefaults;

/// <summary>
/// Decides which spans may start a trace (the root sampler under <see cref="ParentBasedSampler"/>, which keeps every
/// child of a recorded span): an incoming HTTP request and the scheduler's own spans (a fire, a trigger, a DAG run,
/// all <see cref="ActivityKind.Internal"/>). Grain calls that belong to no trace — timers, membership and reminder
/// traffic, an SDK call made outside any span — are not recorded: they would be thousands of one-span traces a second
/// under load and say nothing about a job. An SDK call made inside a span carries its trace and is recorded.
/// </summary>
public sealed class TraceRootSampler : Sampler
{
    /// <summary>The operation name of ASP.NET Core's span for an incoming request.</summary>
    public const string AspNetCoreRequest = "Microsoft.AspNetCore.Hosting.HttpRequestIn";

    private static readonly SamplingResult Record = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult Skip = new(SamplingDecision.Drop);

    public TraceRootSampler() => Description = nameof(TraceRootSampler);

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.Kind == ActivityKind.Internal || samplingParameters.Name == AspNetCoreRequest ? Record : Skip;
}
