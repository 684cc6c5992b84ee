using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace JobScheduler.Chaos;

/// <summary>
/// One server process of the run (a silo, the API, or both), on fixed ports so that a restart comes back as the same
/// node. Faults act on it with real signals: SIGKILL, SIGSTOP, SIGCONT.
/// </summary>
public sealed class ServerNode : IAsyncDisposable
{
    private readonly string _serverDll;
    private readonly string[] _args;
    private readonly StreamWriter _log;
    private Process? _process;

    public ServerNode(string name, string serverDll, string workDirectory, string[] args, int httpPort, int siloPort, int gatewayPort, bool steppableClock = false)
    {
        Name = name;
        if (steppableClock && SteppableClock.Library is not null)
        {
            Clock = new SteppableClock(Path.Combine(workDirectory, $"{name}.clock"));
            Clock.Set(TimeSpan.Zero);
        }
        _serverDll = serverDll;
        HttpPort = httpPort;
        SiloPort = siloPort;
        _args =
        [
            $"--urls=http://127.0.0.1:{httpPort}",
            "--environment=Production",
            $"--Orleans:SiloPort={siloPort}",
            $"--Orleans:GatewayPort={gatewayPort}",
            .. args,
        ];
        LogPath = Path.Combine(workDirectory, $"{name}.log");
        _log = new StreamWriter(LogPath, append: true, Encoding.UTF8) { AutoFlush = true };
    }

    public string Name { get; }

    public int HttpPort { get; }

    public int SiloPort { get; }

    /// <summary>The node id attempts and <c>/api/nodes</c> show for this process's silo.</summary>
    public string NodeId => $"127.0.0.1:{SiloPort}";

    public string LogPath { get; }

    /// <summary>This process's wall clock, when it can be stepped (a silo, with libfaketime installed).</summary>
    public SteppableClock? Clock { get; }

    public bool Running => _process is { HasExited: false };

    public int? ProcessId => _process?.Id;

    public void Start()
    {
        var process = new Process
        {
            StartInfo = new ProcessStartInfo("dotnet", [_serverDll, .. _args])
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Path.GetDirectoryName(_serverDll)!,
            },
            EnableRaisingEvents = true,
        };
        foreach (var (name, value) in Clock?.Environment ?? new Dictionary<string, string>())
        {
            process.StartInfo.Environment[name] = value;
        }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        Write($"==== chaos: starting {Name} at {DateTimeOffset.UtcNow:O}");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
    }

    /// <summary>Waits until <c>/health/ready</c> answers 200 (true), or gives up after <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline && Running)
        {
            try
            {
                using var response = await http.GetAsync($"http://127.0.0.1:{HttpPort}/health/ready");
                if (response.IsSuccessStatusCode)
                {
                    return true;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(250);
        }
        return false;
    }

    /// <summary>SIGKILL of the server process alone (its command actions, none in this workload, die with it on their leash).</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            Write($"==== chaos: SIGKILL {Name} at {DateTimeOffset.UtcNow:O}");
            process.Kill(entireProcessTree: false);
            await process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    public Task StopAsync() => SignalAsync("STOP");

    public Task ContinueAsync() => SignalAsync("CONT");

    private async Task SignalAsync(string signal)
    {
        if (_process is { HasExited: false } process)
        {
            Write($"==== chaos: SIG{signal} {Name} at {DateTimeOffset.UtcNow:O}");
            using var kill = Process.Start(new ProcessStartInfo("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
            await kill.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } process)
        {
            await ContinueAsync(); // a process left stopped by an interrupted fault is resumed first, then killed with its tree
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
        lock (_log)
        {
            _log.Dispose();
        }
    }

    private void Write(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            try
            {
                _log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
                // The run is over.
            }
        }
    }
}
