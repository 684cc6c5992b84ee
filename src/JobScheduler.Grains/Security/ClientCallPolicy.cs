using JobScheduler.Core.Auth;

namespace JobScheduler.Grains.Security;

/// <summary>
/// The grain methods a client (the SDK or the REST front door) may call, with the role each needs: the same rules as
/// the REST routes (docs/security.md, "Roles"). Every other method of our grain interfaces is the cluster's own.
/// </summary>
internal static class ClientCallPolicy
{
    private static readonly Dictionary<(Type, string), ClientCallRule> Rules = new()
    {
        [(typeof(IJobGrain), nameof(IJobGrain.GetAsync))] = new(UserRole.Viewer, () => null),
        [(typeof(IJobGrain), nameof(IJobGrain.ListExecutionsAsync))] = new(UserRole.Viewer, () => null),
        [(typeof(IJobGrain), nameof(IJobGrain.PutAsync))] = new(UserRole.Operator, JobNotFound, OwnerArgument(1), "job.replace", "job.create"),
        [(typeof(IJobGrain), nameof(IJobGrain.DeleteAsync))] = new(UserRole.Operator, () => false, Audit: "job.delete"),
        [(typeof(IJobGrain), nameof(IJobGrain.PauseAsync))] = new(UserRole.Operator, () => null, Audit: "job.pause"),
        [(typeof(IJobGrain), nameof(IJobGrain.ResumeAsync))] = new(UserRole.Operator, () => null, Audit: "job.resume"),
        [(typeof(IJobGrain), nameof(IJobGrain.TriggerAsync))] = new(UserRole.Operator, JobNotFound, Audit: "job.trigger"),
        [(typeof(IJobBatchGrain), nameof(IJobBatchGrain.PutManyAsync))] = new(UserRole.Operator, BindToCaller: OwnerArgument(1), Audit: "job.replace", AuditCreated: "job.create"),
        [(typeof(IJobQueryGrain), nameof(IJobQueryGrain.QueryJobsAsync))] = new(UserRole.Viewer, BindToCaller: OwnJobs),
        [(typeof(IJobQueryGrain), nameof(IJobQueryGrain.GetStatsAsync))] = new(UserRole.Admin),
        [(typeof(IExecutionGrain), nameof(IExecutionGrain.GetAsync))] = new(UserRole.Viewer, () => null),
        [(typeof(IExecutionGrain), nameof(IExecutionGrain.WaitAsync))] = new(UserRole.Viewer, () => null),
        [(typeof(IExecutionGrain), nameof(IExecutionGrain.CancelAsync))] = new(UserRole.Operator, () => null, Audit: "execution.cancel"),
        [(typeof(IDagGrain), nameof(IDagGrain.GetAsync))] = new(UserRole.Viewer, () => null),
        [(typeof(IDagGrain), nameof(IDagGrain.ListRunsAsync))] = new(UserRole.Viewer, () => null),
        [(typeof(IDagGrain), nameof(IDagGrain.PutAsync))] = new(UserRole.Operator, DagNotFound, OwnerArgument(1), "dag.replace", "dag.create"),
        [(typeof(IDagGrain), nameof(IDagGrain.DeleteAsync))] = new(UserRole.Operator, () => false, Audit: "dag.delete"),
        [(typeof(IDagGrain), nameof(IDagGrain.PauseAsync))] = new(UserRole.Operator, () => null, Audit: "dag.pause"),
        [(typeof(IDagGrain), nameof(IDagGrain.ResumeAsync))] = new(UserRole.Operator, () => null, Audit: "dag.resume"),
        [(typeof(IDagGrain), nameof(IDagGrain.TriggerAsync))] = new(UserRole.Operator, DagNotFound, Audit: "dag.trigger"),
        [(typeof(IDagQueryGrain), nameof(IDagQueryGrain.QueryDagsAsync))] = new(UserRole.Viewer, BindToCaller: OwnDags),
        [(typeof(IDagRunGrain), nameof(IDagRunGrain.GetAsync))] = new(UserRole.Viewer, () => null),
        [(typeof(IDagRunGrain), nameof(IDagRunGrain.WaitAsync))] = new(UserRole.Viewer, () => null),
        [(typeof(IDagRunGrain), nameof(IDagRunGrain.CancelAsync))] = new(UserRole.Operator, () => null, Audit: "dag-run.cancel"),
        [(typeof(IDagRunGrain), nameof(IDagRunGrain.RetryAsync))] = new(UserRole.Operator, () => new DagRunWriteResult { NotFound = true, Errors = [new("runId", "there is no DAG run with this id.")] }, Audit: "dag-run.retry"),
        [(typeof(IClusterNodesGrain), nameof(IClusterNodesGrain.GetNodesAsync))] = new(UserRole.Admin),
        [(typeof(INodeGrain), nameof(INodeGrain.SetStateAsync))] = new(UserRole.Admin, Audit: "node.update"),
    };

    public static ClientCallRule? Find(Type grainInterface, string method) => Rules.GetValueOrDefault((grainInterface, method));

    private static JobWriteResult JobNotFound() => new() { NotFound = true, Errors = [new("id", "there is no job with this id.")] };

    private static DagWriteResult DagNotFound() => new() { NotFound = true, Errors = [new("id", "there is no DAG with this id.")] };

    /// <summary>What the call creates belongs to the caller (a replaced resource keeps its owner: the grain sees to that).</summary>
    private static Action<IIncomingGrainCallContext, CallerPrincipal> OwnerArgument(int index) =>
        (context, caller) => context.Request.SetArgument(index, caller.Name);

    /// <summary>Anyone but an admin lists their own jobs only; an admin may filter by any owner.</summary>
    private static void OwnJobs(IIncomingGrainCallContext context, CallerPrincipal caller)
    {
        if (!caller.IsAdmin)
        {
            context.Request.SetArgument(0, (context.Request.GetArgument(0) as JobQuery ?? new JobQuery()) with { Owner = caller.Name });
        }
    }

    private static void OwnDags(IIncomingGrainCallContext context, CallerPrincipal caller)
    {
        if (!caller.IsAdmin)
        {
            context.Request.SetArgument(0, (context.Request.GetArgument(0) as DagQuery ?? new DagQuery()) with { Owner = caller.Name });
        }
    }
}
