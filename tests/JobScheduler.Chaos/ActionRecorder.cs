using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text.Json;

namespace JobScheduler.Chaos;

/// <summary>
/// The local HTTP listener the workload's http actions call (127.0.0.1 only). It answers as the path says and appends
/// every call to a file, one JSON line each, which is the checker's record of what ran:
/// <c>/ok</c> answers 200; <c>/fail-first</c> answers 500 to an execution's first call and 200 after;
/// <c>/sleep?ms=N</c> answers 200 after N ms.
/// </summary>
public sealed class ActionRecorder : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly StreamWriter _file;
    private readonly ConcurrentDictionary<string, int> _calls = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    public ActionRecorder(string path)
    {
        RecordPath = path;
        Port = Testing.LoopbackPorts.Free();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _file = new StreamWriter(path, append: true) { AutoFlush = true };
    }

    public int Port { get; }

    public string RecordPath { get; }

    public string Url(string pathAndQuery) => $"http://127.0.0.1:{Port}{pathAndQuery}";

    public void Start()
    {
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Reads a record file back.</summary>
    public static List<ActionCall> Read(string path) =>
        [.. File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<ActionCall>(l)!)];

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (HttpListenerException)
            {
                continue;
            }
            _ = Task.Run(() => AnswerAsync(context));
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        var received = DateTimeOffset.UtcNow;
        var execution = context.Request.Headers["X-JobScheduler-Execution"] ?? "";
        var path = context.Request.Url?.AbsolutePath ?? "";
        var calls = _calls.AddOrUpdate(execution, 1, (_, n) => n + 1);
        var status = path switch
        {
            "/fail-first" when calls == 1 => 500,
            _ => 200,
        };
        if (path == "/sleep" && int.TryParse(context.Request.QueryString["ms"], NumberStyles.None, CultureInfo.InvariantCulture, out var ms))
        {
            try
            {
                await Task.Delay(ms, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
        var answered = 0;
        try
        {
            context.Response.StatusCode = status;
            context.Response.ContentLength64 = 0;
            context.Response.Close();
            answered = status;
        }
        catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
        {
            // The caller gave up (its attempt was cancelled, timed out or its silo died).
        }
        var line = JsonSerializer.Serialize(new ActionCall(execution, path, received, DateTimeOffset.UtcNow, answered));
        lock (_file)
        {
            try
            {
                _file.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The run is over; a call this late is after the checker's read.
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _loop;
        }
        catch (ObjectDisposedException)
        {
            // Stopped.
        }
        _listener.Close();
        lock (_file)
        {
            _file.Dispose();
        }
        _stop.Dispose();
    }
}
