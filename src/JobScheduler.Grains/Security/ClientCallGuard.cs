using JobScheduler.Core.Auth;

namespace JobScheduler.Grains.Security;

/// <summary>
/// Checks who a call from a client acts for, on the silo (docs/security.md, "The SDK"). A client's call to one of our
/// grains must carry an API key (the SDK) or a token the REST front door minted; the user it names must exist and hold
/// the role <see cref="ClientCallPolicy"/> asks for, and may reach only their own resources (another user's answer as
/// missing ones do). Clients may not call the cluster's internal methods or <see cref="IManagementGrain"/> (admins
/// excepted). The verified user travels down the calls this one makes; the scheduler's own work carries none.
/// </summary>
/// <remarks>
/// A call's source is the client's own claim: a hand-built client can pose as a grain. So this stops honest clients
/// with a wrong or missing key, not an attacker on the gateway port; that port stays on loopback or behind mutual TLS.
/// </remarks>
internal sealed class ClientCallGuard(ICallerAuthenticator authenticator, SdkAudit audit) : IIncomingGrainCallFilter
{
    /// <summary>The key prefix of the client each silo hosts for calls made outside grains (the REST API, its own services).</summary>
    private const string HostedClientPrefix = "hosted-";

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        var grainInterface = context.InterfaceMethod?.DeclaringType;
        var management = grainInterface == typeof(IManagementGrain);
        if (grainInterface is null || !(management || grainInterface.Namespace == nameof(JobScheduler)))
        {
            await context.Invoke();
            return;
        }
        var method = context.InterfaceMethod!.Name;
        var rule = ClientCallPolicy.Find(grainInterface, method);
        CallerPrincipal? caller;
        var viaSdk = false;
        if (context.SourceId is { } source && GrainTypePrefix.IsClient(source))
        {
            // Credentials go no further than this check, and no caller is taken on a client's word. (RequestContext is
            // changed here, not in a method this awaits: an async method's changes end when it returns.)
            var apiKey = RequestContext.Get(CallerContextKeys.ApiKey) as string;
            var token = RequestContext.Get(CallerContextKeys.CallerToken) as string;
            RequestContext.Remove(CallerContextKeys.ApiKey);
            RequestContext.Remove(CallerContextKeys.CallerToken);
            RequestContext.Remove(CallerContextKeys.Caller);
            caller = await AuthenticateAsync(source, apiKey, token, grainInterface, method, rule, management);
            // The REST front door sends a token and audits its own requests; an API key on the call is the SDK.
            viaSdk = caller is not null && token is null;
            if (caller is not null)
            {
                RequestContext.Set(CallerContextKeys.Caller, caller.Format());
            }
        }
        else
        {
            caller = CallerPrincipal.Parse(RequestContext.Get(CallerContextKeys.Caller) as string);
        }
        if (caller is not null && rule is not null)
        {
            if (rule.NotFound is not null && context.Grain is IOwnedGrain { Owner: { } owner } && !caller.MayAccess(owner))
            {
                context.Result = rule.NotFound();
                return;
            }
            rule.BindToCaller?.Invoke(context, caller);
        }
        await context.Invoke();
        if (viaSdk && rule is not null)
        {
            await audit.RecordAsync(rule, context.TargetId.Key.ToString() ?? "", caller!, context.Result);
        }
    }

    /// <summary>The user a client's call acts for; null for the silo's own client without credentials (its services).</summary>
    private async Task<CallerPrincipal?> AuthenticateAsync(
        GrainId source, string? apiKey, string? token, Type grainInterface, string method, ClientCallRule? rule, bool management)
    {
        // The silo's own client runs only our code: its services (with no credentials), the REST API in this process, and
        // timers that re-enter grains (they may carry the context of the request that armed them). Internal methods are
        // its to call; user-facing ones still hold the request's user to their role and resources.
        var hosted = source.Key.ToString()?.StartsWith(HostedClientPrefix, StringComparison.Ordinal) == true;
        if (hosted && (apiKey is null && token is null || rule is null && !management))
        {
            return null;
        }
        if (apiKey is null && token is null)
        {
            throw new AccessDeniedException(
                "The call carries no API key. Configure the SDK with one (JobSchedulerClientOptions.ApiKey; create it with POST /api/auth/keys).");
        }
        var caller = await authenticator.AuthenticateAsync(apiKey, token)
            ?? throw new AccessDeniedException("The API key is not valid: it is unknown or revoked, or its user no longer exists.");
        if (management ? !caller.IsAdmin : rule is null)
        {
            throw new AccessDeniedException($"{grainInterface.Name}.{method} is internal to the cluster; clients may not call it.");
        }
        if (rule is not null && !caller.Has(rule.Role))
        {
            throw new AccessDeniedException(
                $"{grainInterface.Name}.{method} needs the {UserRoles.Name(rule.Role)} role; '{caller.Name}' is {UserRoles.Name(caller.Role)}.");
        }
        return caller;
    }
}
