using JobScheduler.Core.Audit;
using JobScheduler.Core.Auth;
using Microsoft.Extensions.Logging;

namespace JobScheduler.Grains.Security;

/// <summary>
/// The audit trail of changes made through the SDK (the REST API records its own): what an API key's user created,
/// changed, deleted, triggered or cancelled, with the action names and the status codes the same change through REST
/// would have answered. Refusals and changes that did not happen (a missing or foreign resource, invalid input) are
/// not recorded. A failed write is logged and does not fail the call.
/// </summary>
internal sealed partial class SdkAudit(IEnumerable<IAuditLog> logs, TimeProvider time, ILogger<SdkAudit> logger)
{
    private readonly IAuditLog? _log = logs.LastOrDefault();

    public async Task RecordAsync(ClientCallRule rule, string resource, CallerPrincipal caller, object? result)
    {
        if (_log is null || rule.Audit is not { } action)
        {
            return;
        }
        var now = time.GetUtcNow();
        var entries = Changes(rule, action, resource, result)
            .Select(change => new AuditEntry(Guid.CreateVersion7(now).ToString("n"), now, caller.Name, change.Action, change.Resource, change.Status))
            .ToList();
        if (entries.Count == 0)
        {
            return;
        }
        try
        {
            // A batch of jobs is audited in one write (it was one round trip and one commit per job).
            await (entries.Count == 1 ? _log.AppendAsync(entries[0]) : _log.AppendManyAsync(entries));
        }
        catch (Exception ex)
        {
            LogAuditWriteFailed(ex, entries.Count, entries[0].Action, entries[0].Resource);
        }
    }

    private static IEnumerable<(string Action, string Resource, int Status)> Changes(ClientCallRule rule, string action, string resource, object? result) =>
        result switch
        {
            null or false => [],
            JobBatchWriteResult batch => batch.Results.Where(r => r.IsValid && r.Job is not null)
                .Select(r => (r.Created ? rule.AuditCreated ?? action : action, r.Job!.Id, r.Created ? 201 : 200)),
            JobWriteResult { IsValid: false } or DagWriteResult { IsValid: false } or DagRunWriteResult { IsValid: false } => [],
            JobWriteResult { ExecutionId: not null } or DagWriteResult { Run: not null } => [(action, resource, 202)],
            JobWriteResult { Created: true } or DagWriteResult { Created: true } => [(rule.AuditCreated ?? action, resource, 201)],
            bool => [(action, resource, 204)],
            _ => [(action, resource, 200)],
        };

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write {Count} audit entries ({Action} of {Resource}, …); the change itself is done")]
    private partial void LogAuditWriteFailed(Exception exception, int count, string action, string resource);
}
