using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace JobScheduler.Api.Audit;

/// <summary>Marks a state-changing endpoint as audited (<see cref="AuditFilter"/>).</summary>
internal static class AuditedEndpoints
{
    /// <summary>
    /// Records each successful answer as <paramref name="action"/> (<paramref name="createdAction"/> for a 201) on the
    /// route's id, or on <paramref name="createdResource"/> of the answer's value when the route has none.
    /// </summary>
    public static RouteHandlerBuilder Audited(
        this RouteHandlerBuilder endpoint, string action, string? createdAction = null, Func<object?, string?>? createdResource = null) =>
        endpoint.AddEndpointFilter(new AuditFilter(action, createdAction, createdResource));
}
