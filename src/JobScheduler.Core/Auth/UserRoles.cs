namespace JobScheduler.Core.Auth;

/// <summary>A role's stored and wire name (<c>admin</c>, <c>operator</c>, <c>viewer</c>) and back.</summary>
public static class UserRoles
{
    public const string Admin = "admin";
    public const string Operator = "operator";
    public const string Viewer = "viewer";

    public static string Name(UserRole role) => role switch
    {
        UserRole.Admin => Admin,
        UserRole.Operator => Operator,
        _ => Viewer,
    };

    public static bool TryParse(string? name, out UserRole role)
    {
        (var known, role) = name switch
        {
            Admin => (true, UserRole.Admin),
            Operator => (true, UserRole.Operator),
            Viewer => (true, UserRole.Viewer),
            _ => (false, UserRole.Viewer),
        };
        return known;
    }

    /// <summary>A stored role; an unknown name reads as the least privileged.</summary>
    public static UserRole Parse(string name) => TryParse(name, out var role) ? role : UserRole.Viewer;
}
