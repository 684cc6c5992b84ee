using System.Diagnostics;
using System.Net;
using JobScheduler.Server;
using JobScheduler.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;

namespace JobScheduler.Api.Tests;

/// <summary>
/// The REST front door in its own process bounds its grain calls (docs/reliability.md, finding 3): a request whose
/// silo died or froze under it used to wait Orleans' 30 s response timeout before its 503. The client is configured by
/// the front door's own set-up (<see cref="ApiClusterClient.BoundGrainCalls"/>); the silo is a plain one whose grain
/// call filter holds a call unanswered, as a frozen or dead silo does.
/// </summary>
public sealed class GrainCallTimeoutTests
{
    [Fact]
    public void ApiClient_ByDefault_WaitsTenSecondsForAGrainCall()
    {
        using var host = ClientHost(gatewayPort: LoopbackPorts.Free(), grainCallTimeout: null);

        Assert.Equal(TimeSpan.FromSeconds(10), host.Services.GetRequiredService<IOptions<ClientMessagingOptions>>().Value.ResponseTimeout);
    }

    [Theory]
    [InlineData("00:00:10", true)]
    [InlineData("00:00:01", true)]
    [InlineData("00:10:00", true)]
    [InlineData("00:00:00", false)]
    [InlineData("00:00:00.500", false)]
    [InlineData("00:10:01", false)]
    public void GrainCallTimeout_OutsideOneSecondToTenMinutes_IsRefusedAtStart(string value, bool valid)
    {
        var options = new JobSchedulerApiOptions { GrainCallTimeout = TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture) };

        var result = new JobSchedulerApiOptionsValidator().Validate(null, options);

        Assert.Equal(valid, result.Succeeded);
    }

    [Fact]
    public async Task ApiClient_CallToASiloThatDoesNotAnswer_FailsWithTimeoutAtTheConfiguredBound_NotAfter30s()
    {
        var siloPort = LoopbackPorts.Free();
        var gatewayPort = LoopbackPorts.Free();
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var siloBuilder = Host.CreateApplicationBuilder();
        siloBuilder.Logging.SetMinimumLevel(LogLevel.Warning);
        siloBuilder.UseOrleans(silo =>
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: ServiceId, clusterId: ClusterId);
            // The call arrives and is never answered while the test runs: what a frozen silo, or one killed after the
            // request reached it, looks like to the caller.
            silo.AddIncomingGrainCallFilter(async context =>
            {
                if (context.InterfaceMethod?.DeclaringType == typeof(IManagementGrain) && context.InterfaceMethod.Name == nameof(IManagementGrain.GetHosts))
                {
                    held.TrySetResult();
                    await release.Task;
                }
                await context.Invoke();
            });
        });
        using var silo = siloBuilder.Build();
        await silo.StartAsync();
        try
        {
            using var client = ClientHost(gatewayPort, grainCallTimeout: TimeSpan.FromSeconds(2));
            await client.StartAsync();
            try
            {
                var watch = Stopwatch.StartNew();
                var call = client.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0).GetHosts();
                await held.Task.WaitAsync(TimeSpan.FromSeconds(30));

                // Bounded here too, and not with WaitAsync: its own TimeoutException would pass for the client's.
                var finished = await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(25)));
                watch.Stop();

                Assert.Same(call, finished);
                var exception = await Assert.ThrowsAsync<TimeoutException>(() => call);
                Assert.Contains("00:00:02", exception.Message, StringComparison.Ordinal);
                // 2 s plus the client's 1 s expiry check, on a loaded machine: well under Orleans' 30 s.
                Assert.True(watch.Elapsed < TimeSpan.FromSeconds(20), $"The call failed after {watch.Elapsed}.");
            }
            finally
            {
                release.TrySetResult();
                await client.StopAsync();
            }
        }
        finally
        {
            release.TrySetResult();
            await silo.StopAsync();
        }
    }

    private const string ServiceId = "grain-call-timeout-tests";
    private const string ClusterId = "grain-call-timeout-tests";

    private static IHost ClientHost(int gatewayPort, TimeSpan? grainCallTimeout)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (grainCallTimeout is { } timeout)
        {
            builder.Configuration[$"{JobSchedulerApiOptions.Section}:{nameof(JobSchedulerApiOptions.GrainCallTimeout)}"] = timeout.ToString("c", System.Globalization.CultureInfo.InvariantCulture);
        }
        builder.UseOrleansClient(client =>
        {
            client.UseLocalhostClustering(gatewayPort, ServiceId, ClusterId);
            ApiClusterClient.BoundGrainCalls(client);
        });
        return builder.Build();
    }
}

/// <summary>
/// The whole server pipeline answers a grain call that timed out (what the bound above ends in) with 503, problem
/// details and Retry-After. The silo here fails the job listing's query with the TimeoutException Orleans raises.
/// </summary>
public sealed class GrainCallTimeout503Tests(UnansweredQueryServer server) : IClassFixture<UnansweredQueryServer>
{
    [Fact]
    public async Task GrainCallTimedOut_Answers503WithRetryAfterAndProblemDetails()
    {
        using var response = await server.Http.SendJsonAsync(HttpMethod.Get, "/api/jobs", null);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal(ClusterExceptionHandler.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers.GetValues("Retry-After").Single());
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.JsonAsync();
        Assert.Equal(503, problem.GetProperty("status").GetInt32());
        Assert.Equal("The cluster is not answering.", problem.GetProperty("title").GetString());
    }
}

/// <summary>In memory; every <see cref="IJobQueryGrain.QueryJobsAsync"/> fails as a call that got no answer in time.</summary>
public sealed class UnansweredQueryServer() : ServerFixture(commandsEnabled: false, storage: "Memory", configureSilo: silo => silo.AddIncomingGrainCallFilter(context =>
    context.InterfaceMethod?.DeclaringType == typeof(IJobQueryGrain) && context.InterfaceMethod.Name == nameof(IJobQueryGrain.QueryJobsAsync)
        ? throw new TimeoutException("Response did not arrive on time in 00:00:10 (thrown by the test's grain call filter).")
        : context.Invoke()));
