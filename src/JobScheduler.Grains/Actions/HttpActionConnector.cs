using System.Net;
using System.Net.Sockets;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace JobScheduler.Grains.Actions;

/// <summary>Resolves a host name to its addresses (DNS in production; tests give names of their own).</summary>
public interface IHostResolver
{
    Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken);
}

/// <summary>The system resolver.</summary>
public sealed class DnsHostResolver : IHostResolver
{
    public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) =>
        Dns.GetHostAddressesAsync(host, cancellationToken);
}

/// <summary>An http action tried to reach an address outside the network policy; the message says which and how to allow it.</summary>
public sealed class HttpActionRefusedException(string message) : Exception(message);

/// <summary>
/// Opens the connections of http actions, and only to addresses the network policy allows (the real SSRF check;
/// the one at submission only sees IP literals). The host is resolved once here; if any of its addresses is blocked
/// the request is refused, otherwise the socket connects to exactly those addresses, so a DNS answer that changes
/// between a check and a connect (rebinding) cannot slip through. Every redirect hop opens its connection here too.
/// </summary>
public sealed partial class HttpActionConnector(
    ActionRulesSource rules,
    IHostResolver resolver,
    IOptionsMonitor<JobSchedulerOptions> options,
    ILogger<HttpActionConnector> logger)
{
    /// <summary>
    /// The primary handler of the http action client: connections through <see cref="ConnectAsync"/>; no proxy (the
    /// callback would see the proxy, not the target); no automatic redirects (<see cref="HttpActionRunner"/> follows
    /// them itself, checking each); no shared cookie jar between jobs; a connect timeout.
    /// </summary>
    public SocketsHttpHandler CreateHandler() => new()
    {
        ConnectCallback = ConnectAsync,
        ConnectTimeout = options.CurrentValue.Actions.Http.ConnectTimeout,
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
        AutomaticDecompression = DecompressionMethods.None,
    };

    /// <summary>Resolves the host once, refuses it when any address is blocked, and connects to those addresses.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var literal = host.StartsWith('[') && host.EndsWith(']') ? host[1..^1] : host;
        var addresses = IPAddress.TryParse(literal, out var address)
            ? [address]
            : await resolver.ResolveAsync(host, cancellationToken);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }
        var policy = rules.HttpNetworks;
        foreach (var candidate in addresses)
        {
            if (policy.Refusal(candidate) is { } refusal)
            {
                LogRefused(host, candidate.ToString());
                throw new HttpActionRefusedException(address is not null ? $"http: {refusal}" : $"http: {host} resolves to {candidate}; {refusal}");
            }
        }

        SocketException? last = null;
        foreach (var candidate in addresses)
        {
            var socket = new Socket(candidate.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(candidate, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException ex)
            {
                socket.Dispose();
                last = ex;
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }
        throw last!;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "An http action to {Host} was refused: {Address} is in a blocked network")]
    private partial void LogRefused(string host, string address);
}
