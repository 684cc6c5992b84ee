namespace JobScheduler.Chaos;

/// <summary>
/// The wall clock of one server process, which the <c>step-clock</c> fault steps forward or back as a bad NTP step does,
/// and later puts right. It uses libfaketime (Debian's <c>libfaketime</c>): the process starts with it preloaded and
/// reads its offset from a file of its own (re-read every second), so only that process's <c>CLOCK_REALTIME</c> moves;
/// its monotonic clock, which timers and timeouts use, runs on undisturbed, as on a real machine whose clock is stepped.
/// </summary>
public sealed class SteppableClock(string offsetFile)
{
    private static readonly string[] Libraries =
    [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketimeMT.so.1",
    ];

    /// <summary>The preloadable library, or null when libfaketime is not installed (then no clock is stepped).</summary>
    public static string? Library { get; } = Libraries.FirstOrDefault(File.Exists);

    /// <summary>What the process is started with: the library preloaded, reading its offset file.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; } = new Dictionary<string, string>
    {
        ["LD_PRELOAD"] = Library ?? "",
        ["FAKETIME_TIMESTAMP_FILE"] = offsetFile,
        ["FAKETIME_CACHE_DURATION"] = "1",
        ["FAKETIME_DONT_FAKE_MONOTONIC"] = "1",
    };

    /// <summary>Sets the offset of the process's wall clock from the true time (zero puts it right).</summary>
    public void Set(TimeSpan offset)
    {
        var seconds = (int)offset.TotalSeconds;
        File.WriteAllText(offsetFile, seconds >= 0 ? $"+{seconds}s\n" : $"{seconds}s\n");
    }
}
