namespace JobScheduler.Core.Audit;

/// <summary>
/// One audited change: when, by whom (the caller's username), what (<c>job.create</c>, <c>execution.cancel</c>, …), to
/// which resource (its id) and the status code the caller was answered. Never a request body or a secret.
/// </summary>
/// <param name="Id">Unique and increasing with time (a version-7 GUID); breaks ties between entries of the same instant.</param>
/// <param name="At">When the change was answered.</param>
/// <param name="Actor">The authenticated caller's username.</param>
/// <param name="Action">What was done, <c>kind.verb</c> (docs/security.md lists them).</param>
/// <param name="Resource">The id of the job, DAG, execution, run, node, user or API key it was done to.</param>
/// <param name="Status">The HTTP status code the caller was answered.</param>
public sealed record AuditEntry(string Id, DateTimeOffset At, string Actor, string Action, string Resource, int Status);
