namespace JobScheduler.Core.Auth;

/// <summary>
/// A verified user a grain call acts for, carried as <c>role:name</c> in <see cref="CallerContextKeys.Caller"/>. An
/// admin reaches every resource; anyone else only what they own.
/// </summary>
public sealed record CallerPrincipal(string Name, UserRole Role)
{
    public bool IsAdmin => Role == UserRole.Admin;

    public bool MayAccess(string? owner) => IsAdmin || string.Equals(owner, Name, StringComparison.Ordinal);

    public bool Has(UserRole role) => Role >= role;

    /// <summary>The wire form, <c>role:name</c> (a user name never needs escaping: the colon is after the role).</summary>
    public string Format() => UserRoles.Name(Role) + ":" + Name;

    public static CallerPrincipal? Parse(string? text)
    {
        var colon = text?.IndexOf(':') ?? -1;
        return colon > 0 && colon < text!.Length - 1 && UserRoles.TryParse(text[..colon], out var role)
            ? new CallerPrincipal(text[(colon + 1)..], role)
            : null;
    }
}
