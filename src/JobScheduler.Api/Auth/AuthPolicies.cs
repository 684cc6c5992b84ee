namespace JobScheduler.Api.Auth;

/// <summary>
/// Authorization policy names. Every route needs an authenticated caller (the fallback policy); these add the role.
/// Reads need none: a viewer reads their own resources.
/// </summary>
public static class AuthPolicies
{
    /// <summary>Creates and changes jobs and DAGs, triggers and cancels: <c>operator</c> or <c>admin</c>.</summary>
    public const string Operator = "operator";

    /// <summary>Users, nodes, drain and cluster-wide figures: <c>admin</c>.</summary>
    public const string Admin = "admin";

    /// <summary>The authentication scheme that picks bearer tokens or API keys by the request's headers.</summary>
    public const string Scheme = "JobScheduler";

    /// <summary>The header that carries an API key.</summary>
    public const string ApiKeyHeader = "X-Api-Key";
}
