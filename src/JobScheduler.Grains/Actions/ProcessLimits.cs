using System.Globalization;
using Microsoft.Extensions.Logging;

namespace JobScheduler.Grains.Actions;

/// <summary>
/// Enforces <c>resources.limits</c> on a command's process tree where the OS allows: a cgroup (v2, or v1 memory and
/// cpu controllers) when this process may create one, otherwise <c>prlimit</c> (an address-space rlimit: memory
/// only). With a cgroup, this process moves the command's <see cref="CommandLeash"/>, still waiting for its go-ahead,
/// into it (<see cref="LimitScope.Join"/>); with <c>prlimit</c>, the leash starts the command through it; either way the
/// limits hold from the command's first instruction. This process does the move, not the child, because a child
/// running as another account (<see cref="CommandSandbox"/>) may not write the cgroup's files. What was enforced, and
/// how, is recorded on the attempt.
/// </summary>
public sealed partial class ProcessLimits(ILogger<ProcessLimits> logger)
{
    private const string GroupName = "jobscheduler";
    private static readonly TimeSpan CpuPeriod = TimeSpan.FromMilliseconds(100);

    private static readonly string[] PrlimitPaths = ["/usr/bin/prlimit", "/bin/prlimit"];

    private readonly Lazy<Mechanism> _mechanism = new(() => Detect(logger));

    private readonly string? _prlimit = PrlimitPaths.FirstOrDefault(File.Exists);

    private enum Mechanism
    {
        None,
        CgroupV2,
        CgroupV1,
        Rlimit,
    }

    /// <summary>Prepares the limits of one attempt; dispose the scope once the process has exited.</summary>
    public LimitScope Prepare(string attemptKey, ResourceLimits? limits)
    {
        if (limits is null || (limits.MemoryMb is null && limits.CpuMillis is null))
        {
            return LimitScope.Unlimited;
        }
        var name = new string([.. attemptKey.Select(c => char.IsAsciiLetterOrDigit(c) ? c : '_')]);
        try
        {
            return _mechanism.Value switch
            {
                Mechanism.CgroupV2 => CgroupV2(name, limits),
                Mechanism.CgroupV1 => CgroupV1(name, limits),
                Mechanism.Rlimit => Rlimit(limits, _prlimit!),
                _ => LimitScope.NotEnforced(limits),
            };
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            LogLimitsFailed(ex, attemptKey);
            return LimitScope.NotEnforced(limits);
        }
    }

    private static LimitScope CgroupV2(string name, ResourceLimits limits)
    {
        var directory = Path.Combine("/sys/fs/cgroup", GroupName, name);
        Directory.CreateDirectory(directory);
        var enforced = new List<string>();
        if (limits.MemoryMb is { } memory)
        {
            File.WriteAllText(Path.Combine(directory, "memory.max"), Bytes(memory));
            File.WriteAllText(Path.Combine(directory, "memory.swap.max"), "0");
            enforced.Add($"memory {memory} MB (cgroup v2)");
        }
        if (limits.CpuMillis is { } cpu)
        {
            File.WriteAllText(Path.Combine(directory, "cpu.max"), $"{Quota(cpu)} {(long)CpuPeriod.TotalMicroseconds}");
            enforced.Add($"cpu {cpu} millicores (cgroup v2)");
        }
        return new LimitScope(enforced, [Path.Combine(directory, "cgroup.procs")], [directory], () => ReadCounter(Path.Combine(directory, "memory.events"), "oom_kill"));
    }

    private static LimitScope CgroupV1(string name, ResourceLimits limits)
    {
        var enforced = new List<string>();
        var procs = new List<string>();
        var directories = new List<string>();
        Func<long> oomKills = () => 0;
        if (limits.MemoryMb is { } memory)
        {
            var directory = Path.Combine("/sys/fs/cgroup/memory", GroupName, name);
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, "memory.limit_in_bytes"), Bytes(memory));
            procs.Add(Path.Combine(directory, "cgroup.procs"));
            directories.Add(directory);
            oomKills = () => ReadCounter(Path.Combine(directory, "memory.oom_control"), "oom_kill");
            enforced.Add($"memory {memory} MB (cgroup v1)");
        }
        if (limits.CpuMillis is { } cpu && Directory.Exists("/sys/fs/cgroup/cpu"))
        {
            var directory = Path.Combine("/sys/fs/cgroup/cpu", GroupName, name);
            Directory.CreateDirectory(directory);
            File.WriteAllText(Path.Combine(directory, "cpu.cfs_period_us"), ((long)CpuPeriod.TotalMicroseconds).ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(Path.Combine(directory, "cpu.cfs_quota_us"), Quota(cpu));
            procs.Add(Path.Combine(directory, "cgroup.procs"));
            directories.Add(directory);
            enforced.Add($"cpu {cpu} millicores (cgroup v1)");
        }
        return new LimitScope(enforced, procs, directories, oomKills);
    }

    private static LimitScope Rlimit(ResourceLimits limits, string prlimitPath)
    {
        var enforced = new List<string>();
        var prlimit = new List<string>();
        if (limits.MemoryMb is { } memory)
        {
            prlimit.Add($"--as={Bytes(memory)}");
            enforced.Add($"memory {memory} MB (address-space rlimit)");
        }
        if (limits.CpuMillis is not null)
        {
            enforced.Add("cpu not enforced (no writable cgroup)");
        }
        return new LimitScope(enforced, [], [], () => 0) { PrlimitPath = prlimitPath, PrlimitArguments = prlimit };
    }

    private static string Bytes(int megabytes) => ((long)megabytes * 1024 * 1024).ToString(CultureInfo.InvariantCulture);

    private static string Quota(int millicores) => ((long)(CpuPeriod.TotalMicroseconds * millicores / 1000)).ToString(CultureInfo.InvariantCulture);

    private static long ReadCounter(string file, string key)
    {
        try
        {
            return File.ReadLines(file).Select(l => l.Split(' ', 2)).Where(p => p.Length == 2 && p[0] == key)
                .Select(p => long.Parse(p[1], CultureInfo.InvariantCulture)).FirstOrDefault();
        }
        catch (Exception ex) when (ex is IOException or FormatException or UnauthorizedAccessException)
        {
            return 0;
        }
    }

    private static Mechanism Detect(ILogger logger)
    {
        var mechanism = Mechanism.None;
        if (!OperatingSystem.IsLinux())
        {
            return mechanism;
        }
        if (TryCreate("/sys/fs/cgroup/cgroup.controllers", "/sys/fs/cgroup", enable: true))
        {
            mechanism = Mechanism.CgroupV2;
        }
        else if (TryCreate("/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory", enable: false))
        {
            mechanism = Mechanism.CgroupV1;
            TryCreate("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu", enable: false);
        }
        else if (PrlimitPaths.Any(File.Exists))
        {
            mechanism = Mechanism.Rlimit;
        }
        LogMechanism(logger, mechanism.ToString());
        return mechanism;
    }

    /// <summary>Creates our parent group under <paramref name="root"/> if this process may.</summary>
    private static bool TryCreate(string marker, string root, bool enable)
    {
        if (!File.Exists(marker))
        {
            return false;
        }
        try
        {
            var parent = Path.Combine(root, GroupName);
            Directory.CreateDirectory(parent);
            if (enable)
            {
                // cgroup v2 hands controllers down level by level.
                File.WriteAllText(Path.Combine(root, "cgroup.subtree_control"), "+memory +cpu");
                File.WriteAllText(Path.Combine(parent, "cgroup.subtree_control"), "+memory +cpu");
            }
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Command resource limits are enforced with: {Mechanism}")]
    private static partial void LogMechanism(ILogger logger, string mechanism);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not set up resource limits for attempt {Attempt}; it runs without them")]
    private partial void LogLimitsFailed(Exception exception, string attempt);
}

/// <summary>The limits of one attempt: how to start its command inside them, what was enforced, and cleanup.</summary>
public sealed class LimitScope(IReadOnlyList<string> enforced, IReadOnlyList<string> procsFiles, IReadOnlyList<string> directories, Func<long> oomKills) : IDisposable
{
    public static LimitScope Unlimited { get; } = new([], [], [], () => 0);

    public static LimitScope NotEnforced(ResourceLimits limits) =>
        new([$"not enforced on this node (memory {limits.MemoryMb?.ToString(CultureInfo.InvariantCulture) ?? "-"} MB, cpu {limits.CpuMillis?.ToString(CultureInfo.InvariantCulture) ?? "-"} millicores)"], [], [], () => 0);

    /// <summary>Human-readable list of what is enforced, recorded on the attempt.</summary>
    public IReadOnlyList<string> Enforced { get; } = enforced;

    internal string PrlimitPath { get; init; } = "prlimit";

    internal IReadOnlyList<string> PrlimitArguments { get; init; } = [];

    /// <summary>
    /// Whether the started process (the <see cref="CommandLeash"/>, waiting) must be moved into the limits
    /// (<see cref="Join"/>) before the leash lets the command start.
    /// </summary>
    public bool MustJoin => procsFiles.Count > 0;

    /// <summary>
    /// The executable and arguments that start <paramref name="command"/> (a full path) inside the limits: through
    /// <c>prlimit</c>, or as it is (a cgroup is joined by the waiting <see cref="CommandLeash"/> instead, which must
    /// wrap what this returns).
    /// </summary>
    public (string FileName, IReadOnlyList<string> Arguments) Wrap(string command, IReadOnlyList<string> arguments)
    {
        if (PrlimitArguments.Count > 0)
        {
            return (PrlimitPath, [.. PrlimitArguments, "--", command, .. arguments]);
        }
        return (command, arguments);
    }

    /// <summary>
    /// Moves the process <paramref name="pid"/> (the waiting <see cref="CommandLeash"/>) into the cgroup(s); what it
    /// starts afterwards is born inside.
    /// </summary>
    public void Join(int pid)
    {
        foreach (var procs in procsFiles)
        {
            File.WriteAllText(procs, pid.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Whether the kernel killed a process of this attempt for exceeding the memory limit.</summary>
    public bool OomKilled => oomKills() > 0;

    public void Dispose()
    {
        foreach (var directory in directories)
        {
            try
            {
                Directory.Delete(directory);
            }
            catch (IOException)
            {
                // Still has a process (a straggler of the killed tree); the kernel frees it when that exits.
            }
        }
    }
}
