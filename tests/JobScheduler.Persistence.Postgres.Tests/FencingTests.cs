using JobScheduler.Core.Storage;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Orleans.Storage;
using Orleans.TestingHost;

namespace JobScheduler.Persistence.Postgres.Tests;

/// <summary>
/// A job must never fire the same instant twice, even when Orleans briefly runs two activations of its grain:
/// our storage SQL fences every write by version, and an execution's id is its instant, so a re-fire lands on the
/// execution that already exists.
/// </summary>
public sealed class FencingTests : IAsyncLifetime
{
    private readonly PostgresDatabase _database = new();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 6, 1, 0, 0, 0, 500, TimeSpan.Zero));
    private NpgsqlDataSource _dataSource = null!;
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        _dataSource = _database.CreateDataSource();
        await new PostgresSchema(_dataSource, NullLogger<PostgresSchema>.Instance).EnsureAsync(apply: true, CancellationToken.None);
        var builder = new InProcessTestClusterBuilder(1);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Services.AddSingleton(_dataSource);
            silo.AddJobSchedulerPostgresStorage();
            silo.UseInMemoryReminderService();
            silo.Services.AddSingleton(new SchedulerClock(_clock));
            silo.Services.AddSingleton<IJobCatalog>(sp => new PostgresJobCatalog(_dataSource, sp.GetRequiredService<PostgresBatcher>()));
            silo.Services.AddSingleton<IDagCatalog>(sp => new PostgresDagCatalog(_dataSource, sp.GetRequiredService<PostgresBatcher>()));
            silo.AddJobScheduler();
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        await _dataSource.DisposeAsync();
        await _database.DisposeAsync();
    }

    private IGrainStorage Storage =>
        _cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(JobSchedulerSiloExtensions.StorageName);

    private static JobGrainState Job(string id, int mark) => new()
    {
        Job = new JobInfo(new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("noop") }) { Id = id, Owner = "o" },
        ExecutionCount = mark,
    };

    [Fact]
    public async Task StateWrite_WithAStaleVersion_IsRefused()
    {
        var grainId = GrainId.Create("job", "fence-storage");
        var first = new GrainState<JobGrainState>(Job("fence-storage", 0));
        await Storage.WriteStateAsync("job", grainId, first);

        // Two activations read the same version; the first to write wins, the second is refused.
        var twinA = new GrainState<JobGrainState>();
        var twinB = new GrainState<JobGrainState>();
        await Storage.ReadStateAsync("job", grainId, twinA);
        await Storage.ReadStateAsync("job", grainId, twinB);
        twinA.State!.ExecutionCount = 1;
        await Storage.WriteStateAsync("job", grainId, twinA);
        twinB.State!.ExecutionCount = 2;

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync("job", grainId, twinB));
        var stored = new GrainState<JobGrainState>();
        await Storage.ReadStateAsync("job", grainId, stored);
        Assert.Equal(1, stored.State!.ExecutionCount);
    }

    [Fact]
    public async Task FirstWrite_FromTwoActivations_OnlyOneInserts()
    {
        var grainId = GrainId.Create("job", "fence-insert");
        var twinA = new GrainState<JobGrainState>(Job("fence-insert", 1));
        var twinB = new GrainState<JobGrainState>(Job("fence-insert", 2));

        await Storage.WriteStateAsync("job", grainId, twinA);

        await Assert.ThrowsAsync<InconsistentStateException>(() => Storage.WriteStateAsync("job", grainId, twinB));
    }

    [Fact]
    public async Task StaleJobActivation_CannotRecordAFire_AndTheRefireLandsOnTheSameExecution()
    {
        var job = _cluster.Client.GetGrain<IJobGrain>("fenced");
        var created = await job.PutAsync(new JobSpec { Schedule = ScheduleSpec.Cron("* * * * * *"), Action = ActionSpec.RunHandler("noop") }, "o", createOnly: false);
        var first = created.Job!.NextFireAt!.Value;
        _clock.Advance(first - _clock.GetUtcNow());
        await job.FireDueAsync();

        // A twin activation (as during a membership change) writes the job's state behind this activation's back,
        // leaving a mark that this activation does not know about.
        var grainId = GrainId.Create("job", "fenced");
        var twin = new GrainState<JobGrainState>();
        await Storage.ReadStateAsync("job", grainId, twin);
        var mark = new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
        twin.State!.LastTriggerAt = mark;
        await Storage.WriteStateAsync("job", grainId, twin);

        // The next fire starts its execution, then cannot record it: the stale activation's write is refused and the
        // activation dropped (whether the job's own timer or this call gets there first). A fresh activation reads
        // the twin's state, finds the same instant due and fires it again: it lands on the same execution.
        _clock.Advance(TimeSpan.FromSeconds(1));
        try
        {
            await job.FireDueAsync();
        }
        catch (InconsistentStateException)
        {
        }
        await job.FireDueAsync();
        var second = ExecutionId.For("fenced", first.AddSeconds(1));
        var execution = await _cluster.Client.GetGrain<IExecutionGrain>(second).WaitAsync(TimeSpan.FromSeconds(20));
        var history = await job.ListExecutionsAsync(new ExecutionQuery { Limit = 100 });

        Assert.Equal(ExecutionState.Succeeded, execution!.State);
        Assert.Single(execution.Attempts);
        Assert.Equal(2, history!.Items.Length);
        Assert.Equal([second, ExecutionId.For("fenced", first)], history.Items.Select(e => e.Id));
        Assert.Equal(first.AddSeconds(2), (await job.GetAsync())!.NextFireAt);
        var stored = new GrainState<JobGrainState>();
        await Storage.ReadStateAsync("job", grainId, stored);
        Assert.Equal(mark, stored.State!.LastTriggerAt);
        await job.DeleteAsync();
    }
}
