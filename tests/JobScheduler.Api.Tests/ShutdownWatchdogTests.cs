using JobScheduler.Server;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace JobScheduler.Api.Tests;

/// <summary>
/// A stopping process whose stop hangs is ended (docs/reliability.md finding 2: the API process once kept running,
/// serving nothing, for two minutes after it began to stop).
/// </summary>
public sealed class ShutdownWatchdogTests
{
    [Fact]
    public async Task StopHangsInAHostedService_ProcessIsExitedWithCode1_AfterShutdownTimeoutAndGrace()
    {
        var exited = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var hang = new HangingService();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(200));
        builder.Services.AddHostedService(sp => new ShutdownWatchdog(
            sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<IOptions<HostOptions>>(), TimeProvider.System,
            NullLogger<ShutdownWatchdog>.Instance, exit: code => exited.TrySetResult(code), grace: TimeSpan.FromMilliseconds(200)));
        builder.Services.AddHostedService(_ => hang);
        using var host = builder.Build();
        await host.StartAsync();

        var stopping = host.StopAsync();
        var code = await exited.Task.WaitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(1, code);
        Assert.False(stopping.IsCompleted, "The host's stop was still waiting for the hanging service.");
        hang.Release();
        await stopping.WaitAsync(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task StopCompletesInTime_ProcessIsNotExited()
    {
        var exited = false;
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMilliseconds(200));
        builder.Services.AddHostedService(sp => new ShutdownWatchdog(
            sp.GetRequiredService<IHostApplicationLifetime>(), sp.GetRequiredService<IOptions<HostOptions>>(), TimeProvider.System,
            NullLogger<ShutdownWatchdog>.Instance, exit: _ => exited = true, grace: TimeSpan.FromMilliseconds(200)));
        var host = builder.Build();
        await host.StartAsync();
        await host.StopAsync();
        host.Dispose();

        // Well past the watchdog's 0.4 s: disposing the host disposed its timer.
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.False(exited);
    }

    /// <summary>A hosted service whose stop ignores its token until released.</summary>
    private sealed class HangingService : IHostedService
    {
        private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release() => _released.TrySetResult();

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken) => _released.Task;
    }
}
