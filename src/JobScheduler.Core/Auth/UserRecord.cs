namespace JobScheduler.Core.Auth;

/// <summary>
/// A stored user. <paramref name="PasswordHash"/> is ASP.NET Core Identity's <c>PasswordHasher</c> format;
/// <paramref name="SecurityStamp"/> changes when the user's password or role changes or the user is deleted, so tokens
/// issued before no longer pass.
/// </summary>
public sealed record UserRecord(string Username, UserRole Role, string PasswordHash, string SecurityStamp, DateTimeOffset CreatedAt);
