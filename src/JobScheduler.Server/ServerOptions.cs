namespace JobScheduler.Server;

/// <summary>How this process hosts the cluster: storage and Orleans endpoints. Read once at start-up.</summary>
public sealed record ServerOptions
{
    public const string MemoryStorage = "Memory";

    /// <summary><c>JobScheduler:Storage</c>. <c>Memory</c> (the default) keeps everything in this process only.</summary>
    public string Storage { get; init; } = MemoryStorage;

    /// <summary>Whether jobs and history survive a restart of this process.</summary>
    public bool Durable => !string.Equals(Storage, MemoryStorage, StringComparison.OrdinalIgnoreCase);

    /// <summary><c>Orleans:SiloPort</c>, default 11111.</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary><c>Orleans:GatewayPort</c>, where SDK clients connect; default 30000.</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary><c>Orleans:ClusterId</c>, default <c>jobscheduler</c>.</summary>
    public string ClusterId { get; init; } = "jobscheduler";

    /// <summary><c>Orleans:ServiceId</c>, default <c>jobscheduler</c>.</summary>
    public string ServiceId { get; init; } = "jobscheduler";

    public static ServerOptions Read(IConfiguration configuration)
    {
        var defaults = new ServerOptions();
        var options = new ServerOptions
        {
            Storage = configuration["JobScheduler:Storage"] is { Length: > 0 } storage ? storage : defaults.Storage,
            SiloPort = configuration.GetValue("Orleans:SiloPort", defaults.SiloPort),
            GatewayPort = configuration.GetValue("Orleans:GatewayPort", defaults.GatewayPort),
            ClusterId = configuration["Orleans:ClusterId"] is { Length: > 0 } cluster ? cluster : defaults.ClusterId,
            ServiceId = configuration["Orleans:ServiceId"] is { Length: > 0 } service ? service : defaults.ServiceId,
        };
        if (!string.Equals(options.Storage, MemoryStorage, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"JobScheduler:Storage is '{options.Storage}', which this server does not support. Supported: {MemoryStorage}.");
        }
        foreach (var (key, port) in new[] { ("Orleans:SiloPort", options.SiloPort), ("Orleans:GatewayPort", options.GatewayPort) })
        {
            if (port is < 1 or > 65535)
            {
                throw new InvalidOperationException($"{key} is {port}; it must be a TCP port between 1 and 65535.");
            }
        }
        return options;
    }
}
