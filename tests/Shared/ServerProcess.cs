using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace JobScheduler.Testing;

/// <summary>
/// The real server executable, started as a child process on 127.0.0.1 with free ports, on PostgreSQL or a SQLite file.
/// <see cref="KillAsync"/> is SIGKILL: no shutdown code runs. Output goes to a log file named in failures.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly string[] _storageArgs;
    private readonly string[] _extraArgs;
    private string[] _args = [];
    private Process? _process;

    /// <summary>A server on the PostgreSQL database <paramref name="connectionString"/> names.</summary>
    public static ServerProcess OnPostgres(string connectionString, params string[] extraArgs) =>
        new(["--JobScheduler:Storage=Postgres", $"--ConnectionStrings:Postgres={connectionString}"], extraArgs);

    /// <summary>A server on the SQLite file <paramref name="databasePath"/>.</summary>
    public static ServerProcess OnSqlite(string databasePath, params string[] extraArgs) =>
        new(["--JobScheduler:Storage=Sqlite", $"--JobScheduler:Sqlite:Path={databasePath}"], extraArgs);

    /// <summary>
    /// A server on the SQLite file <paramref name="databasePath"/> given no admin password, so that its first start
    /// generates one and writes it to the log. <see cref="Http"/> cannot sign in as admin then.
    /// </summary>
    public static ServerProcess OnSqliteWithGeneratedAdmin(string databasePath) =>
        new(["--JobScheduler:Storage=Sqlite", $"--JobScheduler:Sqlite:Path={databasePath}"], [], generatedAdminPassword: true);

    private ServerProcess(string[] storageArgs, string[] extraArgs, bool generatedAdminPassword = false)
    {
        _storageArgs = storageArgs;
        _extraArgs = extraArgs;
        GeneratedAdminPassword = generatedAdminPassword;
        AssignPorts();
    }

    /// <summary>Whether the server was given no admin password (<see cref="OnSqliteWithGeneratedAdmin"/>).</summary>
    public bool GeneratedAdminPassword { get; }

    private void AssignPorts()
    {
        HttpPort = LoopbackPorts.Free();
        SiloPort = LoopbackPorts.Free();
        GatewayPort = LoopbackPorts.Free();
        _args =
        [
            $"--urls=http://127.0.0.1:{HttpPort}",
            "--environment=Production",
            .. _storageArgs,
            $"--Orleans:SiloPort={SiloPort}",
            $"--Orleans:GatewayPort={GatewayPort}",
            "--JobScheduler:Actions:Command:Enabled=true",
            "--JobScheduler:MaintenanceInterval=00:00:05",
            .. GeneratedAdminPassword ? Array.Empty<string>() : TestLogin.ServerArgs,
            .. _extraArgs,
        ];
        Http?.Dispose();
        // Signed in as admin (TestLogin): every API route needs a token.
        Http = TestLogin.Client(new Uri($"http://127.0.0.1:{HttpPort}"), TimeSpan.FromSeconds(30));
    }

    public int HttpPort { get; private set; }

    public int SiloPort { get; private set; }

    /// <summary>Where SDK clients connect to this process's silo.</summary>
    public int GatewayPort { get; private set; }

    /// <summary>The id this process has as a worker node (<c>/api/nodes</c>, an attempt's <c>node</c>), when it is a silo.</summary>
    public string NodeId => $"127.0.0.1:{SiloPort}";

    public HttpClient Http { get; private set; } = null!;

    public string LogPath { get; } = Path.Combine(Path.GetTempPath(), $"jobscheduler-server-{Guid.NewGuid():n}.log");

    /// <summary>Starts the process and returns once /health/ready answers healthy.</summary>
    public async Task<DateTimeOffset> StartAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await StartOnceAsync();
            }
            catch (InvalidOperationException ex) when (attempt < 3 && ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                // Another socket took one of the ports between picking it and binding it: pick new ones.
                AssignPorts();
            }
        }
    }

    private async Task<DateTimeOffset> StartOnceAsync()
    {
        var server = ServerDll();
        var startInfo = new ProcessStartInfo("dotnet", [server, .. _args])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetDirectoryName(server)!,
        };
        var log = new StreamWriter(LogPath, append: true, Encoding.UTF8) { AutoFlush = true };
        _process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Write(log, e.Data);
        _process.ErrorDataReceived += (_, e) => Write(log, e.Data);
        _process.Exited += (_, _) => Write(log, "<process exited>");
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();

        var deadline = DateTimeOffset.UtcNow + StartTimeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync(); // lets the output handlers finish writing the log
                throw new InvalidOperationException($"The server exited with {_process.ExitCode} while starting; see {LogPath}:\n{Tail()}");
            }
            try
            {
                using var response = await Http.GetAsync("/health/ready");
                if (response.IsSuccessStatusCode)
                {
                    return DateTimeOffset.UtcNow;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"The server was not ready within {StartTimeout}; see {LogPath}:\n{Tail()}");
    }

    /// <summary>
    /// SIGKILL: the process dies at once, in the middle of whatever it was doing. The commands it started die with it
    /// moments later, by their leash (docs/security.md); <paramref name="withItsCommands"/> kills its process tree
    /// directly as well, at the same instant, as a lost machine would.
    /// </summary>
    public async Task KillAsync(bool withItsCommands = false)
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: withItsCommands);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        _process = null;
    }

    /// <summary>SIGTERM: the graceful stop an orchestrator sends. Returns once the process has exited.</summary>
    public async Task TerminateAsync(TimeSpan timeout)
    {
        if (_process is { HasExited: false } process)
        {
            using var kill = Process.Start(new ProcessStartInfo("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
            await kill.WaitForExitAsync();
            using var wait = new CancellationTokenSource(timeout);
            await process.WaitForExitAsync(wait.Token);
        }
    }

    public async Task<JsonElement> GetJsonAsync(string path)
    {
        using var response = await Http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} → {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<JsonElement> SendJsonAsync(HttpMethod method, string path, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = body is string json ? new StringContent(json, Encoding.UTF8, "application/json") : JsonContent.Create(body);
        }
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{method} {path} → {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Polls <paramref name="probe"/> until it returns a value (a cross-process wait has nothing to await).</summary>
    public async Task<T> EventuallyAsync<T>(Func<Task<T?>> probe, TimeSpan timeout, string what) where T : class
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        Exception? lastError = null;
        while (true)
        {
            try
            {
                if (await probe() is { } value)
                {
                    return value;
                }
            }
            catch (Exception ex)
            {
                // A request may fail while the cluster changes (a node just died); keep asking until the deadline.
                lastError = ex;
            }
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout} waiting for {what} (last error: {lastError?.Message ?? "none"}); server log {LogPath}:\n{Tail()}");
            }
            await Task.Delay(100);
        }
    }

    /// <summary>Polls until <paramref name="probe"/> returns an element.</summary>
    public async Task<JsonElement> EventuallyAsync(Func<Task<JsonElement?>> probe, TimeSpan timeout, string what) =>
        (JsonElement)await EventuallyAsync<object>(async () => await probe() is { } element ? element : null, timeout, what);

    public string Tail() => File.Exists(LogPath) ? string.Join('\n', File.ReadLines(LogPath).TakeLast(40)) : "";

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process?.Dispose();
        Http.Dispose();
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (log)
        {
            log.WriteLine(line);
        }
    }

    private static string ServerDll()
    {
        var configuration = typeof(ServerProcess).Assembly
            .GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
            .OfType<System.Reflection.AssemblyConfigurationAttribute>().FirstOrDefault()?.Configuration ?? "Debug";
        var path = Path.Combine(RepositoryRoot(), "src", "JobScheduler.Server", "bin", configuration, "net10.0", "JobScheduler.Server.dll");
        return File.Exists(path) ? path : throw new FileNotFoundException("Build the server first.", path);
    }

    /// <summary>The server dll's path, for tests that run it themselves.</summary>
    public static string ServerDllPath => ServerDll();

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "JobScheduler.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("JobScheduler.sln not found above " + AppContext.BaseDirectory);
    }

}
