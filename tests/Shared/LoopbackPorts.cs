using System.Net;
using System.Net.Sockets;

namespace JobScheduler.Testing;

/// <summary>Ports for servers the tests and the benchmark start on 127.0.0.1. Linked into each project that needs it.</summary>
internal static class LoopbackPorts
{
    /// <summary>A free port below Linux's ephemeral range, so outgoing connections do not take it before the server binds.</summary>
    public static int Free()
    {
        while (true)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                return port;
            }
            catch (SocketException)
            {
                // Taken; try another.
            }
        }
    }
}
