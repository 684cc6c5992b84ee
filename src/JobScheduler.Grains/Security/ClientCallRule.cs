using JobScheduler.Core.Auth;

namespace JobScheduler.Grains.Security;

/// <summary>
/// What a user-facing grain method needs (<see cref="ClientCallPolicy"/>): the least role; the answer it gives for a
/// resource the caller may not reach (the same as for one that does not exist, so nothing is enumerated); and how its
/// arguments are bound to the caller (the owner of what it creates, the owner a list is limited to); and, for a change,
/// the audit trail's action names (<see cref="SdkAudit"/>), as the REST route names them.
/// </summary>
internal sealed record ClientCallRule(
    UserRole Role,
    Func<object?>? NotFound = null,
    Action<IIncomingGrainCallContext, CallerPrincipal>? BindToCaller = null,
    string? Audit = null,
    string? AuditCreated = null);
