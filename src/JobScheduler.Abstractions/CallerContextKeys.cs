namespace JobScheduler;

/// <summary>
/// The Orleans <c>RequestContext</c> entries that say who a call acts for: a wire contract between the SDK, the REST
/// front door and the silos (docs/security.md, "The SDK"). Values a client sends are claims the silo checks, never
/// identity: it reads <see cref="ApiKey"/> or <see cref="CallerToken"/>, removes both, and sets <see cref="Caller"/>
/// itself.
/// </summary>
public static class CallerContextKeys
{
    /// <summary>The SDK's API key (<c>js_…</c>), added to each call by the client.</summary>
    public const string ApiKey = "js.api-key";

    /// <summary>A short-lived token the REST front door mints for the user of a request.</summary>
    public const string CallerToken = "js.caller-token";

    /// <summary>
    /// The verified caller, <c>role:name</c>, set by the silo after checking a key or token and carried down the calls
    /// that one makes. Absent on the scheduler's own work (fires, retries, maintenance).
    /// </summary>
    public const string Caller = "js.caller";
}
