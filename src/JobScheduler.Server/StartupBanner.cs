using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace JobScheduler.Server;

/// <summary>Says at start-up where the API listens, where the data lives and, plainly, when nothing is durable.</summary>
internal sealed partial class StartupBanner(
    IHostApplicationLifetime lifetime,
    IServer httpServer,
    ServerOptions options,
    ILogger<StartupBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(() =>
        {
            var addresses = httpServer.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            LogListening(options.Role, options.Storage, options.DataLocation, options.Durable, string.Join(", ", addresses), options.GatewayPort);
            if (!options.Durable)
            {
                LogNotDurable();
            }
        });
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "JobScheduler started (role {Role}, storage {Storage}, data in {DataLocation}, durable {Durable}); HTTP on {Addresses}; SDK gateway on port {GatewayPort}")]
    private partial void LogListening(ServerRole role, string storage, string dataLocation, bool durable, string addresses, int gatewayPort);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Storage is in memory (JobScheduler:Storage=Memory): jobs, schedules and history are NOT durable and are lost when this process stops.")]
    private partial void LogNotDurable();
}
