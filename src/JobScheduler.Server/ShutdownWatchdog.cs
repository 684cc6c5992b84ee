using Microsoft.Extensions.Options;

namespace JobScheduler.Server;

/// <summary>
/// Ends a process whose stop hangs. The host cancels the token of each hosted service's <c>StopAsync</c> after
/// <see cref="HostOptions.ShutdownTimeout"/>, but still waits for every one to return: a service that ignores its token
/// keeps a stopping process alive, serving nothing, and an orchestrator sees it alive and does not restart it (the
/// API process once stayed so for two minutes, docs/reliability.md finding 2). Once the application starts stopping,
/// this waits <see cref="HostOptions.ShutdownTimeout"/> plus a grace period (10 s), then logs a critical line and exits
/// the process with code 1.
/// </summary>
internal sealed partial class ShutdownWatchdog(
    IHostApplicationLifetime lifetime,
    IOptions<HostOptions> host,
    TimeProvider time,
    ILogger<ShutdownWatchdog> logger,
    Action<int>? exit = null,
    TimeSpan? grace = null) : IHostedService, IDisposable
{
    /// <summary>How long past the shutdown timeout the stop may still take: the hosted services' reaction to their cancelled token.</summary>
    public static readonly TimeSpan DefaultGrace = TimeSpan.FromSeconds(10);

    // Environment.Exit runs the ProcessExit handlers, among them the host's ConsoleLifetime, which waits up to twice
    // the shutdown timeout more for the host to be disposed before the process ends.
    private readonly Action<int> _exit = exit ?? Environment.Exit;
    private readonly TimeSpan _grace = grace ?? DefaultGrace;
    private ITimer? _timer;
    private CancellationTokenRegistration _stopping;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _stopping = lifetime.ApplicationStopping.Register(() =>
        {
            var limit = host.Value.ShutdownTimeout + _grace;
            _timer = time.CreateTimer(_ => Expire(limit), null, limit, Timeout.InfiniteTimeSpan);
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Expire(TimeSpan limit)
    {
        LogStopHung(limit);
        _exit(1);
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _timer?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Critical, Message = "The process did not stop within {Limit} (HostOptions.ShutdownTimeout plus a grace period); exiting now")]
    private partial void LogStopHung(TimeSpan limit);
}
