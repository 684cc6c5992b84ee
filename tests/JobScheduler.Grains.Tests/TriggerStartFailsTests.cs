namespace JobScheduler.Grains.Tests;

/// <summary>
/// A trigger whose execution came to be but whose start call failed (its silo died with the call in flight), retried by
/// the client with the same idempotency key: one execution, not two. The chaos run (seed 13) found two: the key was
/// remembered only after the start answered.
/// </summary>
public sealed class TriggerStartFailsTests(LostStartReplyCluster fixture) : IClassFixture<LostStartReplyCluster>
{
    [Fact]
    public async Task StartCallFails_AfterTheExecutionWasCreated_RetryWithTheSameKey_NamesThatExecution_NoSecondOne()
    {
        var job = fixture.Cluster.Client.GetGrain<IJobGrain>("lost-reply");
        await job.PutAsync(new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("noop") }, "tester", createOnly: false);

        LostStartReplyCluster.Filter.Target = typeof(IExecutionGrain);
        LostStartReplyCluster.Filter.Armed = true;
        await Assert.ThrowsAnyAsync<Exception>(() => job.TriggerAsync(null, "key-1"));
        var retried = await job.TriggerAsync(null, "key-1");

        var executions = (await job.ListExecutionsAsync(new ExecutionQuery()))!.Items;
        var only = Assert.Single(executions);
        Assert.Equal(only.Id, retried.ExecutionId);
    }

    [Fact]
    public async Task DagRunStartCallFails_AfterTheRunWasCreated_RetryWithTheSameKey_NamesThatRun_NoSecondOne()
    {
        var dag = fixture.Cluster.Client.GetGrain<IDagGrain>("lost-reply-dag");
        await dag.PutAsync(new DagSpec { Steps = [new DagStepSpec { Id = "only", Action = ActionSpec.RunHandler("noop") }] }, "tester", createOnly: false);

        LostStartReplyCluster.Filter.Target = typeof(IDagRunGrain);
        LostStartReplyCluster.Filter.Armed = true;
        await Assert.ThrowsAnyAsync<Exception>(() => dag.TriggerAsync(null, "key-1"));
        var retried = await dag.TriggerAsync(null, "key-1");

        var runs = (await dag.ListRunsAsync(new DagRunQuery()))!.Items;
        var only = Assert.Single(runs);
        Assert.Equal(only.Id, retried.Run!.Id);
    }

    [Fact]
    public async Task AttemptStartRefusedWhileItsNodeLives_IsSentAgain_TheExecutionRunsWithoutALostAttempt()
    {
        // Reserving resources, so the attempt goes through its node's runner grain.
        var job = fixture.Cluster.Client.GetGrain<IJobGrain>("runner-unreachable");
        await job.PutAsync(new JobSpec
        {
            Schedule = ScheduleSpec.Manual(),
            Action = ActionSpec.RunHandler("noop"),
            Resources = new ResourceRequest { CpuMillis = 100, MemoryMb = 10 },
        }, "tester", createOnly: false);

        LostStartReplyCluster.RunnerFilter.Rejections = 2;
        var triggered = await job.TriggerAsync(null);
        var finished = await fixture.Cluster.Client.GetGrain<IExecutionGrain>(triggered.ExecutionId!).WaitAsync(TimeSpan.FromSeconds(20));

        // Before: the run loop gave up at the first refusal and waited for a maintenance sweep to re-activate it.
        Assert.Equal(0, LostStartReplyCluster.RunnerFilter.Rejections);
        Assert.Equal(ExecutionState.Succeeded, finished!.State);
        Assert.Equal([AttemptOutcome.Succeeded], finished.Attempts.Select(a => a.Outcome));
    }
}
