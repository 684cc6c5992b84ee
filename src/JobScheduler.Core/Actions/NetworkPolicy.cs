using System.Net;
using System.Net.Sockets;

namespace JobScheduler.Core.Actions;

/// <summary>
/// Which addresses <c>http</c> actions may reach: every public address, none in <see cref="BlockedNetworks"/> (loopback,
/// link-local with the cloud metadata services, private, unique-local, carrier-grade NAT, multicast, reserved) unless
/// an operator reopens a range with <see cref="ConfigurationKey"/>. Judged on parsed addresses, never on text: Uri and
/// <see cref="IPAddress"/> read <c>2130706433</c>, <c>0x7f.1</c> and <c>127.1</c> as 127.0.0.1, and an IPv4-mapped IPv6
/// address (<c>::ffff:10.0.0.1</c>) is judged as the IPv4 address it carries.
/// </summary>
public sealed class NetworkPolicy
{
    /// <summary>The configuration key that lists the ranges http actions may reach besides public addresses.</summary>
    public const string ConfigurationKey = "JobScheduler:Actions:Http:AllowedNetworks";

    /// <summary>Ranges refused unless allowed: the IPv4 ones first, then IPv6, each matched in this order.</summary>
    public static IReadOnlyList<IPNetwork> BlockedNetworks { get; } =
    [
        IPNetwork.Parse("0.0.0.0/8"),        // "this network": 0.0.0.0 reaches the local host
        IPNetwork.Parse("10.0.0.0/8"),       // private
        IPNetwork.Parse("100.64.0.0/10"),    // carrier-grade NAT; Alibaba Cloud's metadata is 100.100.100.200
        IPNetwork.Parse("127.0.0.0/8"),      // loopback
        IPNetwork.Parse("169.254.0.0/16"),   // link-local; the cloud metadata service 169.254.169.254
        IPNetwork.Parse("172.16.0.0/12"),    // private
        IPNetwork.Parse("192.0.0.0/24"),     // IETF protocol assignments
        IPNetwork.Parse("192.168.0.0/16"),   // private
        IPNetwork.Parse("198.18.0.0/15"),    // benchmarking
        IPNetwork.Parse("224.0.0.0/4"),      // multicast
        IPNetwork.Parse("240.0.0.0/4"),      // reserved, and the broadcast address
        IPNetwork.Parse("::/128"),           // unspecified
        IPNetwork.Parse("::1/128"),          // loopback
        IPNetwork.Parse("::/96"),            // IPv4-compatible (deprecated)
        IPNetwork.Parse("64:ff9b::/96"),     // NAT64: reaches IPv4 addresses through a translator
        IPNetwork.Parse("2002::/16"),        // 6to4: embeds an IPv4 address
        IPNetwork.Parse("fc00::/7"),         // unique-local; AWS's IPv6 metadata is fd00:ec2::254
        IPNetwork.Parse("fe80::/10"),        // link-local
        IPNetwork.Parse("fec0::/10"),        // site-local (deprecated)
        IPNetwork.Parse("ff00::/8"),         // multicast
    ];

    /// <summary>The product default: nothing reopened.</summary>
    public static NetworkPolicy Default { get; } = new([]);

    private static readonly IPAddress LocalhostAddress = IPAddress.Loopback;

    public NetworkPolicy(IEnumerable<IPNetwork> allowedNetworks)
    {
        AllowedNetworks = [.. allowedNetworks];
    }

    /// <summary>The ranges reopened by configuration.</summary>
    public IReadOnlyList<IPNetwork> AllowedNetworks { get; }

    /// <summary>
    /// Reads the configured ranges: CIDR (<c>10.0.0.0/8</c>, <c>fd00::/8</c>) or a single address (<c>10.1.2.3</c>);
    /// an entry may hold several separated by commas or spaces (handy in one environment variable).
    /// </summary>
    /// <exception cref="FormatException">An entry is neither; the message names it.</exception>
    public static NetworkPolicy Parse(IEnumerable<string> networks)
    {
        var allowed = new List<IPNetwork>();
        foreach (var entry in networks.SelectMany(n => n.Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            allowed.Add(TryParseNetwork(entry, out var network)
                ? network
                : throw new FormatException($"{ConfigurationKey}: '{entry}' is not a CIDR range (such as 127.0.0.0/8 or fd00::/8) or an IP address."));
        }
        return new NetworkPolicy(allowed);
    }

    /// <summary>Reads one CIDR range or one address (as a /32 or /128).</summary>
    public static bool TryParseNetwork(string text, out IPNetwork network)
    {
        if (text.Contains('/'))
        {
            return IPNetwork.TryParse(text, out network);
        }
        if (IPAddress.TryParse(text, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        network = default;
        return false;
    }

    /// <summary>Whether an http action may connect to <paramref name="address"/>.</summary>
    public bool IsAllowed(IPAddress address) => BlockingNetwork(address) is null;

    /// <summary>The blocked range <paramref name="address"/> is in, or null when it may be reached.</summary>
    public IPNetwork? BlockingNetwork(IPAddress address)
    {
        var normalised = address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
        foreach (var allowed in AllowedNetworks)
        {
            if (allowed.Contains(normalised) || allowed.Contains(address))
            {
                return null;
            }
        }
        foreach (var blocked in BlockedNetworks)
        {
            if (blocked.Contains(normalised))
            {
                return blocked;
            }
        }
        return null;
    }

    /// <summary>Why <paramref name="address"/> may not be reached (a sentence naming the range and the key), or null.</summary>
    public string? Refusal(IPAddress address) => BlockingNetwork(address) is { } network
        ? $"{address} is in a blocked network ({network}); allow it with {ConfigurationKey}"
        : null;

    /// <summary>
    /// The submission-time check of a URL: refuses a host that is an IP literal in a blocked range, or a
    /// <c>localhost</c> name (judged as 127.0.0.1). Other names are not resolved here, since DNS may answer differently
    /// when the action runs; the run-time check on the connection is the one that holds.
    /// </summary>
    public string? CheckHost(Uri url)
    {
        if (url.HostNameType is UriHostNameType.IPv4 or UriHostNameType.IPv6 && IPAddress.TryParse(url.DnsSafeHost, out var address))
        {
            return Refusal(address);
        }
        if (IsLocalhostName(url.DnsSafeHost) && BlockingNetwork(LocalhostAddress) is { } network)
        {
            return $"'{url.DnsSafeHost}' is the loopback address, in a blocked network ({network}); allow it with {ConfigurationKey}";
        }
        return null;
    }

    /// <summary><c>localhost</c>, <c>localhost.</c> and any name under it (RFC 6761), in any case.</summary>
    public static bool IsLocalhostName(string host)
    {
        var name = host.EndsWith('.') ? host[..^1] : host;
        return name.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase);
    }
}
