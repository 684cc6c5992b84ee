using System.Diagnostics;

namespace JobScheduler.Testing;

/// <summary>
/// One machine-wide turn for the tests that start a whole cluster of server processes under an orchestrator and give it a
/// deadline (the app host's clusters, the chaos run). The test projects run side by side on CI's two cores; two such
/// clusters at once, one of them firing bursts and faults on purpose, starve each other past their deadlines. Held
/// through an exclusive lock on a file in the temporary directory, which the kernel releases if the holder dies.
/// </summary>
internal sealed class ProcessClusterGate : IDisposable
{
    private static readonly string LockPath = Path.Combine(Path.GetTempPath(), "jobscheduler-tests-process-cluster.lock");

    private readonly FileStream _lock;

    private ProcessClusterGate(FileStream @lock) => _lock = @lock;

    /// <summary>Waits for the turn (at most <paramref name="patience"/>, then throws) and holds it until disposed.</summary>
    public static async Task<ProcessClusterGate> EnterAsync(TimeSpan patience)
    {
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new ProcessClusterGate(new FileStream(LockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (waited.Elapsed < patience)
            {
                // Another test's cluster holds the turn.
                await Task.Delay(TimeSpan.FromMilliseconds(500));
            }
        }
    }

    public void Dispose() => _lock.Dispose();
}
