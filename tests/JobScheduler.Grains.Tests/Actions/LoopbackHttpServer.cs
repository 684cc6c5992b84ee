using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace JobScheduler.Grains.Tests.Actions;

/// <summary>
/// A small HTTP/1.1 server on 127.0.0.1 (a free port), one request per connection (<c>Connection: close</c>), so every
/// request of an http action opens a connection of its own. Keeps what it receives; the route given answers.
/// </summary>
public sealed class LoopbackHttpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<Request, Reply> _route;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;

    public LoopbackHttpServer(Func<Request, Reply> route)
    {
        _route = route;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public ConcurrentQueue<Request> Received { get; } = new();

    /// <summary>One request as it arrived; header names are case-insensitive.</summary>
    public sealed record Request(string Method, string Path, Dictionary<string, string> Headers, string Body);

    /// <summary>An answer: <paramref name="BodyLength"/> repeats 'x' that many times after <paramref name="Body"/>.</summary>
    public sealed record Reply(int Status, string Body = "", string? Location = null, int BodyLength = 0);

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
        {
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var request = await ReadAsync(stream);
                if (request is null)
                {
                    return;
                }
                Received.Enqueue(request);
                var reply = _route(request);
                var payload = reply.Body.Length + reply.BodyLength;
                var head = new StringBuilder($"HTTP/1.1 {reply.Status} {(HttpStatusCode)reply.Status}\r\n")
                    .Append($"Content-Length: {payload}\r\nContent-Type: text/plain\r\nConnection: close\r\n");
                if (reply.Location is not null)
                {
                    head.Append($"Location: {reply.Location}\r\n");
                }
                await stream.WriteAsync(Encoding.ASCII.GetBytes(head.Append("\r\n").ToString()), _stop.Token);
                await stream.WriteAsync(Encoding.UTF8.GetBytes(reply.Body), _stop.Token);
                var chunk = Encoding.ASCII.GetBytes(new string('x', 64 * 1024));
                for (var left = reply.BodyLength; left > 0; left -= chunk.Length)
                {
                    await stream.WriteAsync(chunk.AsMemory(0, Math.Min(left, chunk.Length)), _stop.Token);
                }
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                // The client went away (it reads only the head of a large body) or the server is stopping.
            }
        }
    }

    private async Task<Request?> ReadAsync(NetworkStream stream)
    {
        var buffer = new List<byte>();
        var one = new byte[1];
        while (buffer.Count < 4 || !(buffer[^4] == '\r' && buffer[^3] == '\n' && buffer[^2] == '\r' && buffer[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, _stop.Token) == 0)
            {
                return null;
            }
            buffer.Add(one[0]);
        }
        var lines = Encoding.ASCII.GetString([.. buffer]).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var requestLine = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var line in lines.Skip(1))
        {
            var colon = line.IndexOf(':');
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }
        var body = new byte[headers.TryGetValue("Content-Length", out var length) ? int.Parse(length, System.Globalization.CultureInfo.InvariantCulture) : 0];
        await stream.ReadExactlyAsync(body, _stop.Token);
        return new Request(requestLine[0], requestLine[1], headers, Encoding.UTF8.GetString(body));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
