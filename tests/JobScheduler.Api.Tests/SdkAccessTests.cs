using JobScheduler.Client;
using JobScheduler.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace JobScheduler.Api.Tests;

/// <summary>
/// Users through the SDK: each client acts with an API key, checked on the silo, and holds the same roles and
/// ownership as the REST API (another user's job, execution, DAG or run is as good as missing; lists show one's own;
/// admins see all). A client without a valid key, or one calling the cluster's internal grains, gets
/// <see cref="AccessDeniedException"/> saying why.
/// </summary>
public sealed class SdkAccessTests(CommandsDisabledServer server) : IClassFixture<CommandsDisabledServer>, IAsyncLifetime
{
    private static readonly JobSpec ManualJob = new() { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.RunHandler("sleep", new { ms = 10_000 }) };

    private readonly List<IHost> _hosts = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.StopAsync();
            host.Dispose();
        }
    }

    [Fact]
    public async Task ClientWithoutKey_IsRefused_SayingHowToConfigureOne()
    {
        var anonymous = await ClientAsync(apiKey: null);

        var refused = await Assert.ThrowsAsync<AccessDeniedException>(() => anonymous.ListJobsAsync());
        Assert.Contains("JobSchedulerClientOptions.ApiKey", refused.Message);
        await Assert.ThrowsAsync<AccessDeniedException>(() => anonymous.ScheduleAsync("sdk-anonymous", ManualJob));
        Assert.Null(await server.Sdk.GetJobAsync("sdk-anonymous"));
    }

    [Fact]
    public async Task ForgedAndRevokedKeys_AreRefused()
    {
        var forged = await ClientAsync("js_0123456789abcdef_not-the-secret");
        Assert.Contains("not valid", (await Assert.ThrowsAsync<AccessDeniedException>(() => forged.ListJobsAsync())).Message);

        var key = await TestLogin.ApiKeyAsync(server.BaseAddress, "sdk-revoked");
        var client = await ClientAsync(key);
        Assert.Empty((await client.ListJobsAsync()).Items);
        var keyId = key.Split('_')[1];
        var revoke = new HttpRequestMessage(HttpMethod.Delete, $"/api/auth/keys/{keyId}");
        revoke.Options.Set(TestLogin.UserOption, "sdk-revoked");
        Assert.True((await server.Http.SendAsync(revoke)).IsSuccessStatusCode);

        await Assert.ThrowsAsync<AccessDeniedException>(() => client.ListJobsAsync());
    }

    [Fact]
    public async Task AnotherOperator_CannotSeeOrChangeAJob_OrItsExecutions_AndNothingChanges()
    {
        var owner = await ClientAsync(await TestLogin.ApiKeyAsync(server.BaseAddress, "sdk-owner"));
        var other = await ClientAsync(await TestLogin.ApiKeyAsync(server.BaseAddress, "sdk-other"));
        var job = await owner.ScheduleAsync("sdk-owned", ManualJob);
        Assert.Equal("sdk-owner", job.Owner);
        var execution = await owner.TriggerAsync(job.Id);

        Assert.Null(await other.GetJobAsync(job.Id));
        Assert.DoesNotContain((await other.ListJobsAsync(new JobQuery { Owner = "sdk-owner" })).Items, j => j.Id == job.Id);
        await Assert.ThrowsAsync<JobNotFoundException>(() => other.ScheduleAsync(job.Id, ManualJob with { Name = "taken over" }));
        await Assert.ThrowsAsync<JobNotFoundException>(() => other.TriggerAsync(job.Id));
        await Assert.ThrowsAsync<JobNotFoundException>(() => other.PauseAsync(job.Id));
        await Assert.ThrowsAsync<JobNotFoundException>(() => other.ListExecutionsAsync(job.Id));
        Assert.False(await other.DeleteAsync(job.Id));
        Assert.Null(await other.GetExecutionAsync(execution));
        await Assert.ThrowsAsync<JobNotFoundException>(() => other.CancelExecutionAsync(execution));
        var batch = await other.ScheduleManyAsync([new JobBatchItem(job.Id, ManualJob with { Name = "taken over" })]);
        Assert.False(batch.Single().IsStored);

        var after = (await owner.GetJobAsync(job.Id))!;
        Assert.Equal((job.Name, job.Owner, JobState.Active, job.UpdatedAt), (after.Name, after.Owner, after.State, after.UpdatedAt));
        Assert.False((await owner.GetExecutionAsync(execution))!.IsTerminal);
        await owner.CancelExecutionAsync(execution);
        Assert.Equal(ExecutionState.Cancelled, (await owner.WaitForCompletionAsync(execution)).State);
    }

    [Fact]
    public async Task AnotherOperator_CannotSeeOrRunADag_OrItsRuns()
    {
        var owner = await ClientAsync(await TestLogin.ApiKeyAsync(server.BaseAddress, "sdk-dag-owner"));
        var other = await ClientAsync(await TestLogin.ApiKeyAsync(server.BaseAddress, "sdk-dag-other"));
        var dag = await owner.ScheduleDagAsync("sdk-owned-dag", new DagSpec
        {
            Schedule = ScheduleSpec.Manual(),
            Steps = [new DagStepSpec { Id = "only", Action = ActionSpec.RunHandler("noop") }],
        });
        var run = await owner.TriggerDagAsync(dag.Id);

        Assert.Null(await other.GetDagAsync(dag.Id));
        Assert.DoesNotContain((await other.ListDagsAsync()).Items, d => d.Id == dag.Id);
        Assert.Null(await other.GetDagRunAsync(run.Id));
        await Assert.ThrowsAsync<JobNotFoundException>(() => other.TriggerDagAsync(dag.Id));
        await Assert.ThrowsAsync<JobNotFoundException>(() => other.ListDagRunsAsync(dag.Id));
        await Assert.ThrowsAsync<JobNotFoundException>(() => other.CancelDagRunAsync(run.Id));
        Assert.False(await other.DeleteDagAsync(dag.Id));

        Assert.Equal(DagRunState.Succeeded, (await owner.WaitForDagRunAsync(run.Id, TimeSpan.FromSeconds(30))).State);
        Assert.Single((await owner.ListDagRunsAsync(dag.Id)).Items);
    }

    [Fact]
    public async Task Viewer_ReadsTheirOwn_ButCannotChangeAnything()
    {
        var viewer = await ClientAsync(await TestLogin.ApiKeyAsync(server.BaseAddress, "sdk-viewer", "viewer"));

        Assert.Empty((await viewer.ListJobsAsync()).Items);
        var refused = await Assert.ThrowsAsync<AccessDeniedException>(() => viewer.ScheduleAsync("sdk-viewer-job", ManualJob));
        Assert.Contains("needs the operator role", refused.Message);
        await Assert.ThrowsAsync<AccessDeniedException>(() => viewer.ScheduleManyAsync([new JobBatchItem("sdk-viewer-batch", ManualJob)]));
        Assert.Null(await server.Sdk.GetJobAsync("sdk-viewer-job"));
        Assert.Null(await server.Sdk.GetJobAsync("sdk-viewer-batch"));
    }

    [Fact]
    public async Task Admin_SeesEveryOwnersJobs_AndMayFilterByOwner()
    {
        var owner = await ClientAsync(await TestLogin.ApiKeyAsync(server.BaseAddress, "sdk-seen"));
        await owner.ScheduleAsync("sdk-seen-job", ManualJob);

        Assert.Equal("sdk-seen", (await server.Sdk.GetJobAsync("sdk-seen-job"))!.Owner);
        var listed = await server.Sdk.ListJobsAsync(new JobQuery { Owner = "sdk-seen" });
        Assert.Equal(["sdk-seen-job"], listed.Items.Select(j => j.Id));
    }

    [Fact]
    public async Task ChangesThroughTheSdk_AreAudited_AsTheirUsers_AndRefusalsAreNot()
    {
        var auditor = await ClientAsync(await TestLogin.ApiKeyAsync(server.BaseAddress, "sdk-audited"));
        var other = await ClientAsync(await TestLogin.ApiKeyAsync(server.BaseAddress, "sdk-not-audited"));
        var job = await auditor.ScheduleAsync("sdk-audited-job", ManualJob with { Action = ActionSpec.RunHandler("noop") });
        await auditor.WaitForCompletionAsync(await auditor.TriggerAsync(job.Id));
        Assert.False(await other.DeleteAsync(job.Id));
        Assert.True(await auditor.DeleteAsync(job.Id));

        using var response = await server.Http.GetAsync($"/api/audit?resource={job.Id}");
        var items = (await response.JsonAsync()).GetProperty("items").EnumerateArray().ToList();
        Assert.Equal(["job.delete", "job.trigger", "job.create"], items.Select(e => e.GetProperty("action").GetString()));
        Assert.All(items, e => Assert.Equal("sdk-audited", e.GetProperty("actor").GetString()));
        Assert.Equal([204, 202, 201], items.Select(e => e.GetProperty("status").GetInt32()));
    }

    [Fact]
    public async Task ABatchThroughTheSdk_IsAuditedJobByJob_TheInvalidItemNot()
    {
        var auditor = await ClientAsync(await TestLogin.ApiKeyAsync(server.BaseAddress, "sdk-batch-audited"));
        var results = await auditor.ScheduleManyAsync([
            new JobBatchItem("sdk-batch-1", ManualJob),
            new JobBatchItem("sdk-batch-2", ManualJob),
            new JobBatchItem("sdk-batch-bad", ManualJob with { Timeout = TimeSpan.FromSeconds(-1) }),
        ]);
        Assert.Equal([true, true, false], results.Select(r => r.IsStored));

        using var response = await server.Http.GetAsync("/api/audit?actor=sdk-batch-audited");
        // (The user's own API key, made through REST, is audited too: only the jobs' entries are looked at.)
        var items = (await response.JsonAsync()).GetProperty("items").EnumerateArray()
            .Where(e => e.GetProperty("resource").GetString()!.StartsWith("sdk-batch", StringComparison.Ordinal)).ToList();
        Assert.Equal(["sdk-batch-1", "sdk-batch-2"], items.Select(e => e.GetProperty("resource").GetString()).Order());
        Assert.All(items, e => Assert.Equal(("job.create", 201), (e.GetProperty("action").GetString(), e.GetProperty("status").GetInt32())));
    }

    [Fact]
    public async Task Clients_CannotCallTheClustersInternalGrains()
    {
        var key = await TestLogin.ApiKeyAsync(server.BaseAddress, "sdk-prober");
        var host = await HostAsync(key);
        var cluster = host.Services.GetRequiredService<IClusterClient>();
        var client = host.Services.GetRequiredService<IJobSchedulerClient>();
        await client.ScheduleAsync("sdk-probed", ManualJob);

        var internalCall = await Assert.ThrowsAsync<AccessDeniedException>(() => cluster.GetGrain<IJobGrain>("sdk-probed").FireDueAsync());
        Assert.Contains("IJobGrain.FireDueAsync is internal", internalCall.Message);
        await Assert.ThrowsAsync<AccessDeniedException>(() => cluster.GetGrain<IExecutionGrain>("sdk-probed@x").ForgetAsync());
        await Assert.ThrowsAsync<AccessDeniedException>(() => cluster.GetGrain<IManagementGrain>(0).GetHosts());
        // Admin-only, as on REST.
        await Assert.ThrowsAsync<AccessDeniedException>(() => cluster.GetGrain<IClusterNodesGrain>(0).GetNodesAsync());
        Assert.Empty((await client.ListExecutionsAsync("sdk-probed")).Items);
    }

    private async Task<IJobSchedulerClient> ClientAsync(string? apiKey) =>
        (await HostAsync(apiKey)).Services.GetRequiredService<IJobSchedulerClient>();

    private async Task<IHost> HostAsync(string? apiKey)
    {
        var host = await server.SdkHostAsync(apiKey);
        _hosts.Add(host);
        return host;
    }
}
