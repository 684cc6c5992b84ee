using System.Text;
using Microsoft.Extensions.Options;

namespace JobScheduler.Api.Auth;

/// <summary>Users, tokens and API keys, bound from <c>JobScheduler:Auth</c> (docs/security.md, "Users, tokens and API keys").</summary>
public sealed class AuthOptions
{
    public const string Section = "JobScheduler:Auth";

    /// <summary>
    /// The password of the first user, <c>admin</c>, created when the database has no user. Unset (the default): a
    /// password is generated and written once to the log. Ignored once any user exists. Never logged.
    /// </summary>
    public string? BootstrapAdminPassword { get; set; }

    /// <summary>
    /// The HS256 key that signs and checks access tokens, at least 32 bytes of UTF-8. Unset (the default): one is
    /// generated at the first start and kept in the database, so every process of the cluster uses the same key.
    /// </summary>
    public string? SigningKey { get; set; }

    /// <summary>How long an access token is valid. Default 15 minutes; at most 24 hours.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>The tokens' <c>iss</c> and <c>aud</c>. Default <c>JobScheduler</c>.</summary>
    public string Issuer { get; set; } = "JobScheduler";

    /// <summary>
    /// How long a process trusts what it read about an API key or a user (a revoked key or a deleted user can still pass
    /// on another process for this long). Default 30 seconds; more than zero and at most 60 seconds.
    /// </summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Login attempts (<c>POST /api/auth/token</c>) one username may make per <see cref="LoginWindow"/>. Default 5.</summary>
    public int LoginAttemptsPerUser { get; set; } = 5;

    /// <summary>Login attempts one remote address may make per <see cref="LoginWindow"/>, whatever the username. Default 20.</summary>
    public int LoginAttemptsPerAddress { get; set; } = 20;

    /// <summary>The window of the login limits. Default 1 minute.</summary>
    public TimeSpan LoginWindow { get; set; } = TimeSpan.FromMinutes(1);
}

internal sealed class AuthOptionsValidator : IValidateOptions<AuthOptions>
{
    public ValidateOptionsResult Validate(string? name, AuthOptions options)
    {
        var failures = new List<string>();
        if (options.SigningKey is { } key && Encoding.UTF8.GetByteCount(key) < 32)
        {
            failures.Add($"{AuthOptions.Section}:SigningKey must be at least 32 bytes.");
        }
        if (options.BootstrapAdminPassword is { } password && !UserAccounts.IsAcceptablePassword(password))
        {
            failures.Add($"{AuthOptions.Section}:BootstrapAdminPassword must be {UserAccounts.MinPasswordLength} to {UserAccounts.MaxPasswordLength} characters.");
        }
        if (options.TokenLifetime <= TimeSpan.Zero || options.TokenLifetime > TimeSpan.FromHours(24))
        {
            failures.Add($"{AuthOptions.Section}:TokenLifetime must be more than zero and at most 24 hours.");
        }
        if (string.IsNullOrWhiteSpace(options.Issuer))
        {
            failures.Add($"{AuthOptions.Section}:Issuer must not be empty.");
        }
        if (options.CacheDuration <= TimeSpan.Zero || options.CacheDuration > TimeSpan.FromSeconds(60))
        {
            failures.Add($"{AuthOptions.Section}:CacheDuration must be more than zero and at most 60 seconds.");
        }
        if (options.LoginAttemptsPerUser < 1 || options.LoginAttemptsPerAddress < 1)
        {
            failures.Add($"{AuthOptions.Section}:LoginAttemptsPerUser and LoginAttemptsPerAddress must be at least 1.");
        }
        if (options.LoginWindow <= TimeSpan.Zero)
        {
            failures.Add($"{AuthOptions.Section}:LoginWindow must be more than zero.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
