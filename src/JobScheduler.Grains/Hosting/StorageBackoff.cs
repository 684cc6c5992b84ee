namespace JobScheduler.Grains.Hosting;

/// <summary>
/// How long a grain waits before trying a storage write (or an idempotent start that writes) again while the database
/// does not answer: 250 ms, doubling, at most 5 s — about 2 minutes over 30 tries.
/// </summary>
internal static class StorageBackoff
{
    private static readonly TimeSpan Max = TimeSpan.FromSeconds(5);

    /// <summary>The wait after the <paramref name="attempt"/>-th failed try (1 for the first).</summary>
    public static TimeSpan After(int attempt) =>
        TimeSpan.FromMilliseconds(Math.Min(Max.TotalMilliseconds, 250 * Math.Pow(2, attempt - 1)));
}
