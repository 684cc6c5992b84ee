using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace JobScheduler.Grains.Nodes;

/// <summary>This silo as a worker node: its id, capacity, drain flag, the attempts running here and real usage.</summary>
public sealed class LocalNode(ILocalSiloDetails silo, IOptions<NodeOptions> options)
{
    private readonly ConcurrentDictionary<string, RunningAttempt> _running = new(StringComparer.Ordinal);
    private readonly Lock _sampleLock = new();
    private (TimeSpan Cpu, long Ticks) _lastProcess;
    private (long Idle, long Total) _lastHost;

    /// <summary>The silo's <c>host:port</c>.</summary>
    public string Id => IdOf(silo.SiloAddress);

    public string SiloAddress => silo.SiloAddress.ToParsableString();

    public int CpuMillis { get; } = options.Value.CpuMillis ?? Environment.ProcessorCount * 1000;

    public int MemoryMb { get; } = options.Value.MemoryMb ?? (int)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024 * 1024));

    public bool Draining { get; set; }

    public IReadOnlyCollection<RunningAttempt> Running => [.. _running.Values];

    public int RunningCount => _running.Count;

    public static string IdOf(Orleans.Runtime.SiloAddress address) => address.Endpoint.ToString();

    public void Track(RunningAttempt attempt) => _running[attempt.ExecutionId] = attempt;

    public void Untrack(string executionId) => _running.TryRemove(executionId, out _);

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

/// <summary>An attempt running on this node and the resources reserved for it.</summary>
[GenerateSerializer, Immutable, Alias("JobScheduler.RunningAttempt")]
public sealed record RunningAttempt(string ExecutionId, int Attempt, int CpuMillis, int MemoryMb);
