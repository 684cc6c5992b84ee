using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using JobScheduler.Grains.Actions;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Orleans.TestingHost;

namespace JobScheduler.Grains.Tests;

/// <summary>
/// A one-silo in-process cluster with the scheduler's grains, memory storage and in-memory reminders.
/// With <c>fakeClock</c> the scheduler reads a <see cref="FakeTimeProvider"/> (Orleans itself keeps real time),
/// so tests move time forward instead of waiting for it.
/// </summary>
public abstract class ClusterFixture(bool fakeClock) : IAsyncLifetime
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, 500, TimeSpan.Zero);

    public const int MaxExecutionsPerJob = 20;

    public static readonly TimeSpan MaxExecutionAge = TimeSpan.FromDays(30);

    public FakeTimeProvider Clock { get; } = new(Start);

    public InProcessTestCluster Cluster { get; private set; } = null!;

    public IClusterClient Client => Cluster.Client;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddJobSchedulerMemoryStorage();
            silo.AddJobSchedulerMemoryReminders();
            silo.Services.AddSingleton(new SchedulerClock(fakeClock ? Clock : TimeProvider.System));
            silo.Services.AddSingleton<IHostResolver>(new LoopbackNamesResolver());
            silo.AddJobScheduler(options =>
            {
                options.Actions.Command.Enabled = true;
                options.MaxExecutionsPerJob = MaxExecutionsPerJob;
                options.MaxExecutionAge = MaxExecutionAge;
            });
            silo.AddJobHandler<BlockingHandler>(BlockingHandler.Name);
            silo.AddJobHandler<FlakyHandler>(FlakyHandler.Name);
            silo.AddJobHandler<SwitchHandler>(SwitchHandler.Name);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>Runs one maintenance sweep of the silo now (it also runs by itself every 15 s).</summary>
    public Task SweepAsync() => Cluster.Silos[0].ServiceProvider
        .GetServices<ILifecycleParticipant<ISiloLifecycle>>().OfType<SchedulerMaintenance>().Single()
        .SweepAsync(CancellationToken.None);

    /// <summary>Awaits the execution's end (it may not have been created yet when called).</summary>
    public async Task<ExecutionInfo> CompletedAsync(string executionId)
    {
        var info = await Client.GetGrain<IExecutionGrain>(executionId).WaitAsync(TimeSpan.FromSeconds(25));
        Assert.NotNull(info);
        Assert.True(info.IsTerminal, $"{executionId} is still {info.State}");
        return info;
    }
}

public sealed class FakeClockCluster() : ClusterFixture(fakeClock: true);

public sealed class RealClockCluster() : ClusterFixture(fakeClock: false);

/// <summary>Resolves every name under <c>loopback.test</c> to 127.0.0.1 (an internal name, for the SSRF check); nothing else.</summary>
public sealed class LoopbackNamesResolver : IHostResolver
{
    public const string Domain = "loopback.test";

    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        host.EndsWith("." + Domain, StringComparison.OrdinalIgnoreCase)
            ? Task.FromResult(new[] { IPAddress.Loopback })
            : Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound));
}

/// <summary>Handler <c>block</c>: signals that it started, then runs until released or cancelled.</summary>
public sealed class BlockingHandler : IJobHandler
{
    public const string Name = "block";

    private static readonly ConcurrentDictionary<string, TaskCompletionSource> StartedSignals = new();
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> ReleaseSignals = new();

    public static Task Started(string executionId) => Signal(StartedSignals, executionId).Task;

    public static void Release(string executionId) => Signal(ReleaseSignals, executionId).TrySetResult();

    public async Task ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        Signal(StartedSignals, context.ExecutionId).TrySetResult();
        await Signal(ReleaseSignals, context.ExecutionId).Task.WaitAsync(cancellationToken);
    }

    private static TaskCompletionSource Signal(ConcurrentDictionary<string, TaskCompletionSource> signals, string id) =>
        signals.GetOrAdd(id, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

/// <summary>Handler <c>flaky</c>: fails attempts before <c>{"succeedOn": N}</c>, then succeeds.</summary>
public sealed class FlakyHandler : IJobHandler
{
    public const string Name = "flaky";

    public Task ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        var succeedOn = context.GetPayload<Payload>()?.SucceedOn ?? 1;
        context.Output.WriteLine($"attempt {context.Attempt}");
        return context.Attempt >= succeedOn
            ? Task.CompletedTask
            : throw new InvalidOperationException($"attempt {context.Attempt} fails on purpose");
    }

    private sealed record Payload(int SucceedOn);
}

/// <summary>Handler <c>switch</c>: fails while the switch named by <c>{"key": "…"}</c> is closed, succeeds once it is open.</summary>
public sealed class SwitchHandler : IJobHandler
{
    public const string Name = "switch";

    private static readonly ConcurrentDictionary<string, bool> Switches = new();

    public static void Open(string key) => Switches[key] = true;

    public static void Close(string key) => Switches[key] = false;

    public Task ExecuteAsync(JobContext context, CancellationToken cancellationToken)
    {
        var key = context.GetPayload<Payload>()?.Key ?? "";
        return Switches.TryGetValue(key, out var open) && open
            ? Task.CompletedTask
            : throw new InvalidOperationException($"switch '{key}' is closed");
    }

    private sealed record Payload(string Key);
}
