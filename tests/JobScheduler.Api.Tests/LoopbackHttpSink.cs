using System.Net;
using System.Net.Sockets;
using System.Text;

namespace JobScheduler.Api.Tests;

/// <summary>
/// A minimal HTTP server on 127.0.0.1 for http actions to call: answers every request 200 "ok" and keeps each request's
/// head (request line and headers), so a test can read what the scheduler sent.
/// </summary>
internal sealed class LoopbackHttpSink : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<string> _first = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _loop;

    public LoopbackHttpSink()
    {
        _listener.Start();
        _loop = AcceptAsync();
    }

    public string Url => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}/hook";

    /// <summary>The first request's head, lower-cased header names as sent.</summary>
    public Task<string> FirstRequest => _first.Task;

    /// <summary>The value of <paramref name="header"/> in a request head, or null.</summary>
    public static string? Header(string head, string header) =>
        head.Split("\r\n").Skip(1)
            .Select(line => line.Split(':', 2))
            .Where(parts => parts.Length == 2 && parts[0].Trim().Equals(header, StringComparison.OrdinalIgnoreCase))
            .Select(parts => parts[1].Trim())
            .FirstOrDefault();

    private async Task AcceptAsync()
    {
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                using var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                var stream = client.GetStream();
                var head = new StringBuilder();
                var buffer = new byte[4096];
                while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                {
                    var read = await stream.ReadAsync(buffer, _stop.Token);
                    if (read == 0)
                    {
                        break;
                    }
                    head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                }
                _first.TrySetResult(head.ToString());
                await stream.WriteAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"u8.ToArray(), _stop.Token);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop;
        _stop.Dispose();
    }
}
