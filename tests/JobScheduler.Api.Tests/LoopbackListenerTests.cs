using System.Globalization;

namespace JobScheduler.Api.Tests;

/// <summary>
/// The embedded default (one process, SQLite) is reachable only from this machine: its silo port and SDK gateway
/// listen on 127.0.0.1, not on every interface (docs/security.md, "The SDK gateway and cluster traffic"). Read from the
/// kernel's socket table, so it checks what is bound, not what was configured.
/// </summary>
public sealed class LoopbackListenerTests(CommandsEnabledServer server) : IClassFixture<CommandsEnabledServer>
{
    [Fact]
    public void EmbeddedDefault_SiloPortAndGateway_ListenOnLoopbackOnly()
    {
        foreach (var port in new[] { server.SiloPort, server.GatewayPort })
        {
            var listeners = Listeners("/proc/net/tcp", port).Concat(Listeners("/proc/net/tcp6", port)).ToList();

            Assert.NotEmpty(listeners);
            Assert.All(listeners, address => Assert.Equal("0100007F", address)); // 127.0.0.1, as the kernel writes it
        }
    }

    /// <summary>The local addresses (hex, as in the file) of sockets listening on <paramref name="port"/>.</summary>
    private static IEnumerable<string> Listeners(string table, int port)
    {
        if (!File.Exists(table))
        {
            return [];
        }
        const string Listen = "0A";
        return File.ReadLines(table).Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields[3] == Listen && int.Parse(fields[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture) == port)
            .Select(fields => fields[1].Split(':')[0]);
    }
}
