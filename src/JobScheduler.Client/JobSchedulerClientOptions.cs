using System.Net;

namespace JobScheduler.Client;

/// <summary>How the SDK reaches the cluster and who it acts as.</summary>
public sealed class JobSchedulerClientOptions
{
    /// <summary>Silo gateways to connect to (<c>host:port</c>). Default <c>127.0.0.1:30000</c>, the embedded server's.</summary>
    public List<string> Gateways { get; set; } = ["127.0.0.1:30000"];

    /// <summary>Must match the silos' <c>Orleans:ClusterId</c>. Default <c>jobscheduler</c>.</summary>
    public string ClusterId { get; set; } = "jobscheduler";

    /// <summary>Must match the silos' <c>Orleans:ServiceId</c>. Default <c>jobscheduler</c>.</summary>
    public string ServiceId { get; set; } = "jobscheduler";

    /// <summary>
    /// The API key this client acts with (<c>js_…</c>, from <c>POST /api/auth/keys</c>), sent with every call and checked
    /// by the silos: what the client creates belongs to the key's user, and it reaches only what that user may (their
    /// own jobs, DAGs and runs; all of them for an admin). Required: a call without a valid key throws
    /// <see cref="AccessDeniedException"/>. Sent in the clear unless <see cref="Tls"/> is set.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>Longest single wait of the long polls of <see cref="IJobSchedulerClient.WaitForCompletionAsync"/> and <see cref="IJobSchedulerClient.WaitForDagRunAsync"/>. Default 20 s (below Orleans' 30 s response timeout).</summary>
    public TimeSpan WaitPollInterval { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// Mutual TLS to the gateways: required whenever the silos use it (<c>Orleans:Tls:*</c> on the server). Default
    /// none: plain TCP, right only for a gateway on loopback (docs/security.md, "The SDK gateway and cluster traffic").
    /// Applies with <see cref="ConfigureOrleans"/> too.
    /// </summary>
    public ClusterTlsOptions? Tls { get; set; }

    /// <summary>
    /// Replaces the default static-gateway clustering, e.g. with ADO.NET clustering against the cluster's database.
    /// </summary>
    public Action<IClientBuilder>? ConfigureOrleans { get; set; }

    internal IPEndPoint[] ParseGateways() => [.. Gateways.Select(ParseGateway)];

    private static IPEndPoint ParseGateway(string gateway)
    {
        if (IPEndPoint.TryParse(gateway, out var endpoint) && endpoint.Port != 0)
        {
            return endpoint;
        }
        var colon = gateway.LastIndexOf(':');
        if (colon > 0 && int.TryParse(gateway.AsSpan(colon + 1), out var port))
        {
            var host = gateway[..colon];
            var address = host == "localhost" ? IPAddress.Loopback : Dns.GetHostAddresses(host).First();
            return new IPEndPoint(address, port);
        }
        throw new ArgumentException($"Gateway '{gateway}' is not host:port.", nameof(gateway));
    }
}
