using System.Net;
using JobScheduler.Client;

namespace JobScheduler.Server;

/// <summary>What this process hosts.</summary>
public enum ServerRole
{
    /// <summary>A silo and the REST API (the default).</summary>
    All,
    /// <summary>A silo only: it runs jobs; its HTTP port serves health checks, not the API.</summary>
    Silo,
    /// <summary>The REST API only: an Orleans client of the silos (needs PostgreSQL to find them).</summary>
    Api,
}

/// <summary>How this process hosts the cluster: role, storage and Orleans endpoints. Read once at start-up.</summary>
public sealed record ServerOptions
{
    public const string MemoryStorage = "Memory";
    public const string SqliteStorage = "Sqlite";
    public const string PostgresStorage = "Postgres";

    /// <summary>Where <c>JobScheduler:Sqlite:Path</c> points by default, relative to the working directory at start.</summary>
    public const string DefaultSqlitePath = "data/jobscheduler.db";

    /// <summary><c>JobScheduler:Role</c>: <c>All</c> (default), <c>Silo</c> or <c>Api</c>.</summary>
    public ServerRole Role { get; init; } = ServerRole.All;

    /// <summary>
    /// <c>JobScheduler:Storage</c>: <c>Sqlite</c> (default; one durable file, one process), <c>Postgres</c> (a cluster)
    /// or <c>Memory</c> (for tests and throwaway runs: nothing survives the process).
    /// </summary>
    public string Storage { get; init; } = SqliteStorage;

    /// <summary>Whether jobs and history survive a restart.</summary>
    public bool Durable => Storage != MemoryStorage;

    /// <summary>
    /// <c>JobScheduler:Sqlite:Path</c> made absolute: a relative path is taken from the working directory the process
    /// started in (not from where the binaries are), as an operator typing it expects.
    /// </summary>
    public string SqlitePath { get; init; } = Path.GetFullPath(DefaultSqlitePath);

    /// <summary>Where jobs and history live, for the start-up banner and /health/ready.</summary>
    public string DataLocation => Storage switch
    {
        SqliteStorage => SqlitePath,
        PostgresStorage => "PostgreSQL (ConnectionStrings:Postgres)",
        _ => "this process's memory",
    };

    /// <summary><c>ConnectionStrings:Postgres</c>, required with <c>Storage=Postgres</c>.</summary>
    public string? ConnectionString { get; init; }

    /// <summary><c>Orleans:SiloPort</c>, default 11111.</summary>
    public int SiloPort { get; init; } = 11111;

    /// <summary><c>Orleans:GatewayPort</c>, where SDK clients connect; default 30000.</summary>
    public int GatewayPort { get; init; } = 30000;

    /// <summary><c>Orleans:AdvertisedAddress</c>, the address (or host name) other silos and clients reach this silo at; default 127.0.0.1.</summary>
    public IPAddress AdvertisedAddress { get; init; } = IPAddress.Loopback;

    /// <summary><c>Orleans:ClusterId</c>, default <c>jobscheduler</c>.</summary>
    public string ClusterId { get; init; } = "jobscheduler";

    /// <summary><c>Orleans:ServiceId</c>, default <c>jobscheduler</c>.</summary>
    public string ServiceId { get; init; } = "jobscheduler";

    /// <summary>
    /// Mutual TLS for silo-to-silo and gateway traffic (and the API front door's connections to the gateways), from
    /// <c>Orleans:Tls:CertificatePath</c> (PKCS#12 with private key), <c>Orleans:Tls:CertificatePassword</c>,
    /// <c>Orleans:Tls:TrustedCertificatePath</c> (PEM or DER: the CA or self-signed certificates peers must chain to)
    /// and <c>Orleans:Tls:TargetHost</c> (the name on the silos' certificates; default the DNS name of this one's).
    /// Default none: plain TCP.
    /// </summary>
    public ClusterTlsOptions? Tls { get; init; }

    /// <summary>
    /// <c>Orleans:Tls:Required</c>, default <c>true</c>: a silo advertised on a non-loopback address (reachable from other
    /// hosts) refuses to start without <see cref="Tls"/>, because anyone who reaches its gateway is inside the cluster.
    /// <c>false</c> accepts that risk (docs/security.md, "The SDK gateway and cluster traffic").
    /// </summary>
    public bool TlsRequired { get; init; } = true;

    public static ServerOptions Read(IConfiguration configuration)
    {
        var defaults = new ServerOptions();
        var role = defaults.Role;
        if (configuration["JobScheduler:Role"] is { Length: > 0 } roleText && !Enum.TryParse(roleText, ignoreCase: true, out role))
        {
            throw new InvalidOperationException($"JobScheduler:Role is '{roleText}'; it must be All, Silo or Api.");
        }
        var storageText = configuration["JobScheduler:Storage"] is { Length: > 0 } s ? s : defaults.Storage;
        var storage = new[] { SqliteStorage, PostgresStorage, MemoryStorage }.FirstOrDefault(k => string.Equals(k, storageText, StringComparison.OrdinalIgnoreCase))
            ?? throw new InvalidOperationException($"JobScheduler:Storage is '{storageText}'; it must be {SqliteStorage}, {PostgresStorage} or {MemoryStorage}.");
        var sqlitePath = configuration["JobScheduler:Sqlite:Path"] is { Length: > 0 } p ? p : DefaultSqlitePath;
        var address = defaults.AdvertisedAddress;
        if (configuration["Orleans:AdvertisedAddress"] is { Length: > 0 } addressText && !IPAddress.TryParse(addressText, out address))
        {
            // A host name (as in docker-compose) is resolved once, at start-up.
            address = Dns.GetHostAddresses(addressText).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? throw new InvalidOperationException($"Orleans:AdvertisedAddress '{addressText}' is neither an IP address nor a resolvable host name.");
        }
        var options = new ServerOptions
        {
            Role = role,
            Storage = storage,
            ConnectionString = configuration.GetConnectionString("Postgres"),
            SqlitePath = Path.GetFullPath(sqlitePath, Environment.CurrentDirectory),
            SiloPort = configuration.GetValue("Orleans:SiloPort", defaults.SiloPort),
            GatewayPort = configuration.GetValue("Orleans:GatewayPort", defaults.GatewayPort),
            AdvertisedAddress = address!,
            ClusterId = configuration["Orleans:ClusterId"] is { Length: > 0 } cluster ? cluster : defaults.ClusterId,
            ServiceId = configuration["Orleans:ServiceId"] is { Length: > 0 } service ? service : defaults.ServiceId,
            Tls = ReadTls(configuration),
            TlsRequired = configuration.GetValue("Orleans:Tls:Required", defaults.TlsRequired),
        };
        if (options.Storage == PostgresStorage && string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            throw new InvalidOperationException("JobScheduler:Storage is Postgres but ConnectionStrings:Postgres is not set.");
        }
        if (options.Storage != PostgresStorage && options.Role != ServerRole.All)
        {
            throw new InvalidOperationException(
                $"JobScheduler:Role={options.Role} needs JobScheduler:Storage=Postgres: with {options.Storage} storage there is one process that is both silo and API.");
        }
        if (options.Storage == PostgresStorage && options.Role != ServerRole.Api && !IPAddress.IsLoopback(options.AdvertisedAddress)
            && options.Tls is null && options.TlsRequired)
        {
            throw new InvalidOperationException(
                $"Orleans:AdvertisedAddress is {options.AdvertisedAddress}, reachable from other hosts, but Orleans:Tls is not configured: anyone who " +
                "reaches the silo or gateway port would be inside the cluster. Set Orleans:Tls:CertificatePath and Orleans:Tls:TrustedCertificatePath " +
                "(docs/security.md, \"The SDK gateway and cluster traffic\"), or accept the risk on a private network with Orleans:Tls:Required=false.");
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

    private static ClusterTlsOptions? ReadTls(IConfiguration configuration)
    {
        var section = configuration.GetSection("Orleans:Tls");
        var certificate = section["CertificatePath"];
        var trusted = section["TrustedCertificatePath"];
        if (string.IsNullOrEmpty(certificate) && string.IsNullOrEmpty(trusted))
        {
            return null;
        }
        if (string.IsNullOrEmpty(certificate) || string.IsNullOrEmpty(trusted))
        {
            throw new InvalidOperationException(
                "Orleans:Tls needs both CertificatePath (this process's certificate) and TrustedCertificatePath (what peers' certificates must chain to).");
        }
        return ClusterTlsOptions.FromFiles(certificate, section["CertificatePassword"], trusted, section["TargetHost"]);
    }
}
