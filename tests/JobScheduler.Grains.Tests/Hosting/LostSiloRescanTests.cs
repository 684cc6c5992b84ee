using System.Diagnostics;
using JobScheduler.Grains.Jobs;
using Orleans.Runtime.Placement;
using Xunit.Abstractions;

namespace JobScheduler.Grains.Tests.Hosting;

/// <summary>
/// Jobs due soon wait on timers in their activations; when their silo dies the timers die too. The jobs must still fire
/// close to their instant on a live silo, not at the due-jobs scanner's next full scan minutes later (docs/reliability.md,
/// finding 15).
/// </summary>
public sealed class LostSiloRescanTests(ITestOutputHelper output)
{
    /// <summary>How far ahead the jobs are due: inside the window the scanner has already read, so no periodic slice reads them again.</summary>
    private static readonly TimeSpan Lead = TimeSpan.FromSeconds(20);

    /// <summary>How late a fire may be: the death's detection and the rescan, well short of the full scan's 5 minutes.</summary>
    private static readonly TimeSpan MostLate = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task SiloHoldingJobsDueSoonDies_TheyFireOnALiveSilo_CloseToTheirInstant()
    {
        await using var cluster = await WrappedStoreCluster.StartAsync((store, _) => store, silos: 3);
        var client = cluster.Client;
        var management = client.GetGrain<IManagementGrain>(0);
        var scanner = client.GetGrain<IDueJobsScannerGrain>(0);
        await scanner.EnsureAsync();
        await scanner.ScanAsync();
        var scannerSilo = await management.GetActivationAddress(scanner);
        // The victim holds neither the scanner (whose own restart would rescan) nor the first silo (the client's gateway).
        var victim = cluster.Silos.Skip(1).First(s => !s.SiloAddress.Equals(scannerSilo));

        var at = TimeProvider.System.GetUtcNow().Add(Lead);
        var ids = Enumerable.Range(0, 4).Select(i => $"due-soon-{i}").ToArray();
        foreach (var id in ids)
        {
            RequestContext.Set(IPlacementDirector.PlacementHintKey, victim.SiloAddress);
            try
            {
                var put = await client.GetGrain<IJobGrain>(id).PutAsync(new JobSpec { Schedule = ScheduleSpec.OnceAt(at), Action = ActionSpec.RunHandler("noop") }, "tester", createOnly: false);
                Assert.True(put.IsValid);
            }
            finally
            {
                RequestContext.Clear();
            }
            Assert.Equal(victim.SiloAddress, await management.GetActivationAddress(client.GetGrain<IJobGrain>(id)));
        }

        var clock = Stopwatch.StartNew();
        await cluster.KillSiloAsync(victim);
        output.WriteLine($"killed {victim.SiloAddress} (scanner on {scannerSilo}) {Lead - (at - TimeProvider.System.GetUtcNow())} after the jobs were put");
        while (TimeProvider.System.GetUtcNow() < at && (await management.GetHosts(onlyActive: true)).ContainsKey(victim.SiloAddress))
        {
            await Task.Delay(100);
        }
        output.WriteLine($"the cluster saw it gone {clock.Elapsed.TotalSeconds:0.0} s after the kill");

        foreach (var id in ids)
        {
            var execution = await EndedByAsync(client.GetGrain<IExecutionGrain>(ExecutionId.For(id, at)), at + MostLate);
            Assert.True(execution is { IsTerminal: true }, $"{id} had not fired {MostLate} after its instant ({execution?.State.ToString() ?? "no execution"})");
            Assert.Equal(ExecutionState.Succeeded, execution!.State);
            var attempt = Assert.Single(execution.Attempts);
            var late = attempt.StartedAt - at;
            output.WriteLine($"{id} started {late.TotalSeconds:0.0} s after its instant, {clock.Elapsed.TotalSeconds:0.0} s after the kill");
            Assert.True(late <= MostLate, $"{id} started {late} after its instant");
            Assert.NotEqual(victim.SiloAddress, await management.GetActivationAddress(client.GetGrain<IJobGrain>(id)));
        }
    }

    /// <summary>
    /// A wake the rescan sent can be lost (routed to the dead silo before the grain directory forgets it): here the job's
    /// activation, woken by the rescan, is dropped right after, timer and all. The rescan's repeat wakes it again in time.
    /// </summary>
    [Fact]
    public async Task WakeLostAfterARescan_TheRescansRepeatWakesTheJobAgain()
    {
        await using var cluster = await WrappedStoreCluster.StartAsync((store, _) => store);
        var client = cluster.Client;
        var scanner = client.GetGrain<IDueJobsScannerGrain>(0);
        await scanner.EnsureAsync();
        await scanner.ScanAsync();
        var at = TimeProvider.System.GetUtcNow() + DueJobsScannerGrain.RescanRepeat + TimeSpan.FromSeconds(3);
        var job = client.GetGrain<IJobGrain>("woken-twice");
        Assert.True((await job.PutAsync(new JobSpec { Schedule = ScheduleSpec.OnceAt(at), Action = ActionSpec.RunHandler("noop") }, "tester", createOnly: false)).IsValid);

        Assert.True(await scanner.RescanAsync() >= 1);
        await Task.Delay(TimeSpan.FromMilliseconds(500)); // the rescan's one-way wake has arrived
        await cluster.DeactivateAsync(job);

        var execution = await EndedByAsync(client.GetGrain<IExecutionGrain>(ExecutionId.For("woken-twice", at)), at + TimeSpan.FromSeconds(5));
        Assert.True(execution is { State: ExecutionState.Succeeded }, $"the job had not fired 5 s after its instant ({execution?.State.ToString() ?? "no execution"})");
    }

    /// <summary>The execution once it has ended, or as it stands at <paramref name="deadline"/> (null if it does not exist).</summary>
    private static async Task<ExecutionInfo?> EndedByAsync(IExecutionGrain execution, DateTimeOffset deadline)
    {
        while (true)
        {
            // In waits shorter than Orleans' 30 s response timeout.
            var left = deadline - TimeProvider.System.GetUtcNow();
            var info = await execution.WaitAsync(left < TimeSpan.Zero ? TimeSpan.Zero : left < TimeSpan.FromSeconds(20) ? left : TimeSpan.FromSeconds(20));
            if (info is { IsTerminal: true } || left <= TimeSpan.Zero)
            {
                return info;
            }
        }
    }
}
