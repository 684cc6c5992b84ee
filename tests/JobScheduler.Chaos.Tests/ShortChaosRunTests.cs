using JobScheduler.Testing;
using Xunit.Abstractions;

namespace JobScheduler.Chaos.Tests;

/// <summary>
/// A short chaos run with a fixed seed: three silos and an API process on a private PostgreSQL cluster of the test's
/// own (its own port and data directory, so restarting it disturbs no other test), less than two minutes of faults, then the
/// independent checker. Every process it started is stopped when it ends, also when it fails. It takes the machine's
/// one turn for process clusters (<see cref="ProcessClusterGate"/>), so the app host's tests do not start beside it.
/// </summary>
public sealed class ShortChaosRunTests(ITestOutputHelper output)
{
    [Fact]
    public async Task ShortSeededRunOfFaults_OnPostgres_NoInvariantBroken()
    {
        Assert.True(PrivatePostgres.Available, "The chaos run needs the PostgreSQL 15 binaries (tests/setup-postgres.sh installs them) and root.");
        using var turn = await ProcessClusterGate.EnterAsync(TimeSpan.FromMinutes(8));
        var report = await ChaosRun.RunAsync(new ChaosOptions
        {
            Target = "postgres",
            Seed = 13,
            Duration = TimeSpan.FromSeconds(105),
            Settle = TimeSpan.FromSeconds(15),
            Log = line => output.WriteLine($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {line}"),
        });
        output.WriteLine(report.ToString());
        Assert.NotEmpty(report.Faults);
        Assert.True(report.Executions > 100, $"the workload ran too little to prove anything: {report}");
        Assert.True(report.Violations.Count == 0, report.ToString());
    }
}
