using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace JobScheduler.Grains.Nodes;

/// <summary>This silo as a worker node: its id, capacity, drain flag, the attempts running here and real usage.</summary>
public sealed class LocalNode(ILocalSiloDetails silo, IOptions<NodeOptions> options, TimeProvider time)
{
    /// <summary>How long a finished attempt's result stays here for an execution that re-attaches late.</summary>
    private static readonly TimeSpan FinishedRetention = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<string, LiveAttempt> _attempts = new(StringComparer.Ordinal);
    private readonly Lock _sampleLock = new();
    private long _nextPurge;
    private (TimeSpan Cpu, long Ticks) _lastProcess;
    private (long Idle, long Total) _lastHost;

    /// <summary>The silo's <c>host:port</c>.</summary>
    public string Id => IdOf(silo.SiloAddress);

    public string SiloAddress => silo.SiloAddress.ToParsableString();

    public int CpuMillis { get; } = options.Value.CpuMillis ?? Environment.ProcessorCount * 1000;

    public int MemoryMb { get; } = options.Value.MemoryMb ?? (int)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024));

    public bool Draining { get; set; }

    public IReadOnlyCollection<RunningAttempt> Running => [.. _attempts.Values.Where(a => !a.Completion.IsCompleted).Select(a => a.Attempt)];

    public int RunningCount => _attempts.Values.Count(a => !a.Completion.IsCompleted);

    /// <summary>Attempts running, or finished with a result their execution has not collected yet.</summary>
    public int UnsettledCount => _attempts.Values.Count(a => !a.Delivered);

    public static string IdOf(Orleans.Runtime.SiloAddress address) => address.Endpoint.ToString();

    /// <summary>
    /// Starts an attempt on this node, or returns the one already started under the same key. Kept here rather than
    /// in the runner's activation, so that any activation of the runner on this node (after a grain directory
    /// change, say) finds the attempt that really runs, and a late caller still gets the result.
    /// </summary>
    public LiveAttempt StartOrGet(string key, RunningAttempt attempt, Func<CancellationToken, Actions.LiveOutput, Task<Actions.ActionResult>> run)
    {
        Purge();
        return _attempts.GetOrAdd(key, _ =>
        {
            var cancel = new CancellationTokenSource();
            var output = new Actions.LiveOutput();
            return new LiveAttempt(attempt, Task.Run(() => run(cancel.Token, output)), cancel, output, time);
        });
    }

    /// <summary>Stops every attempt still running here (their process trees are killed).</summary>
    public void CancelAll()
    {
        foreach (var live in _attempts.Values.Where(a => !a.Completion.IsCompleted))
        {
            live.Cancel.Cancel();
        }
    }

    public LiveAttempt? Find(string key) => _attempts.TryGetValue(key, out var live) ? live : null;

    private void Purge()
    {
        // At most once a second: the walk is over every attempt kept, and starts can come by the thousand.
        var now = Environment.TickCount64;
        var due = Interlocked.Read(ref _nextPurge);
        if (now < due || Interlocked.CompareExchange(ref _nextPurge, now + 1000, due) != due)
        {
            return;
        }
        foreach (var (key, live) in _attempts)
        {
            if (live.FinishedAt is { } at && time.GetUtcNow() - at > FinishedRetention)
            {
                _attempts.TryRemove(key, out _);
            }
        }
    }

    /// <summary>Samples CPU and memory of the host and of this process since the previous sample.</summary>
    public (double HostCpu, long HostMemoryMb, double ProcessCpu, long ProcessMemoryMb) SampleUsage()
    {
        lock (_sampleLock)
        {
            var process = Process.GetCurrentProcess();
            var now = (Cpu: process.TotalProcessorTime, Ticks: Stopwatch.GetTimestamp());
            var wall = Stopwatch.GetElapsedTime(_lastProcess.Ticks, now.Ticks).TotalMilliseconds;
            var processCpu = _lastProcess.Ticks == 0 || wall <= 0 ? 0 : (now.Cpu - _lastProcess.Cpu).TotalMilliseconds / wall * 100;
            _lastProcess = now;

            var hostCpu = 0.0;
            if (ReadHostCpu() is { } host)
            {
                var total = host.Total - _lastHost.Total;
                hostCpu = _lastHost.Total == 0 || total <= 0 ? 0 : 100.0 * (total - (host.Idle - _lastHost.Idle)) / total;
                _lastHost = host;
            }
            return (Math.Round(hostCpu, 1), ReadHostMemoryUsedMb(), Math.Round(processCpu, 1), process.WorkingSet64 / (1024 * 1024));
        }
    }

    /// <summary>Jiffies idle and total, from the first line of /proc/stat (Linux only).</summary>
    private static (long Idle, long Total)? ReadHostCpu()
    {
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            return (fields[3] + (fields.Length > 4 ? fields[4] : 0), fields.Sum());
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    private static long ReadHostMemoryUsedMb()
    {
        try
        {
            var values = File.ReadLines("/proc/meminfo")
                .Select(l => l.Split(':', 2))
                .Where(p => p.Length == 2)
                .ToDictionary(p => p[0], p => long.Parse(p[1].Trim().Split(' ')[0], CultureInfo.InvariantCulture));
            return (values["MemTotal"] - values["MemAvailable"]) / 1024;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or KeyNotFoundException)
        {
            return Environment.WorkingSet / (1024 * 1024);
        }
    }
}

/// <summary>An attempt started on this node: what it reserved, its outcome when done, and how to cancel it.</summary>
public sealed class LiveAttempt
{
    public LiveAttempt(RunningAttempt attempt, Task<Actions.ActionResult> completion, CancellationTokenSource cancel, Actions.LiveOutput output, TimeProvider time)
    {
        Attempt = attempt;
        Cancel = cancel;
        Output = output;
        Completion = completion.ContinueWith(t =>
        {
            FinishedAt = time.GetUtcNow();
            return t.Result;
        }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    public RunningAttempt Attempt { get; }

    public Task<Actions.ActionResult> Completion { get; }

    public CancellationTokenSource Cancel { get; }

    /// <summary>The output so far, while it runs.</summary>
    public Actions.LiveOutput Output { get; }

    public DateTimeOffset? FinishedAt { get; private set; }

    /// <summary>Whether the execution has received the result (a draining node waits for that too).</summary>
    public bool Delivered { get; set; }
}

/// <summary>An attempt running on this node and the resources reserved for it.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.RunningAttempt")]
public sealed record RunningAttempt(string ExecutionId, int Attempt, int CpuMillis, int MemoryMb);
