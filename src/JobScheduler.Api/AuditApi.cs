using JobScheduler.Api.Audit;
using JobScheduler.Api.Auth;
using JobScheduler.Core.Audit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;

namespace JobScheduler.Api;

/// <summary>
/// <c>/api/audit</c> (admin only): who created, changed, deleted, triggered or cancelled what, newest first, filtered by
/// actor or resource, keyset-paged (docs/security.md, "Audit trail").
/// </summary>
public static class AuditApi
{
    public static RouteGroupBuilder MapAuditApi(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/audit").WithTags("Audit").RequireAuthorization(AuthPolicies.Admin);
        group.MapGet("/", ListAudit).WithName("ListAudit")
            .WithSummary("The audit trail, newest first, by actor and resource; pass 'next' back as the cursor for the following page.");
        return group;
    }

    public static async Task<Results<Ok<Page<AuditEntry>>, ProblemHttpResult>> ListAudit(
        IAuditLog log, string? actor, string? resource, string? limit, string? cursor, CancellationToken cancellationToken)
    {
        var errors = new List<FieldError>();
        var pageSize = Query.ParseLimit(limit, errors);
        var after = AuditCursor.Parse(cursor, errors);
        if (errors.Count > 0)
        {
            return Problems.Validation(StatusCodes.Status400BadRequest, errors);
        }
        var page = await log.QueryAsync(new AuditQuery
        {
            Actor = string.IsNullOrEmpty(actor) ? null : actor,
            Resource = string.IsNullOrEmpty(resource) ? null : resource,
            Limit = pageSize,
            After = after,
        }, cancellationToken);
        return TypedResults.Ok(new Page<AuditEntry> { Items = [.. page.Items], Next = page.Next is { } next ? AuditCursor.Format(next) : null });
    }
}
