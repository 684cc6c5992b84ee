using System.Security.Cryptography;
using JobScheduler.Core.Auth;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace JobScheduler.Api.Auth;

/// <summary>
/// Users: created with a password hashed by ASP.NET Core Identity's <see cref="PasswordHasher{TUser}"/>, checked at
/// login, looked up (briefly cached, <see cref="AuthOptions.CacheDuration"/>) when a token or key is presented.
/// </summary>
public sealed class UserAccounts(IUserStore store, IMemoryCache cache, IOptions<AuthOptions> options, TimeProvider time)
{
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 256;
    public const int MaxUsernameLength = 64;

    private static readonly PasswordHasher<UserRecord> Hasher = new();

    /// <summary>A hash of a random password, verified against when the username is unknown so that the answer takes as long.</summary>
    private static readonly Lazy<string> DummyHash = new(() => Hasher.HashPassword(null!, Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))));

    public static bool IsAcceptablePassword(string? password) =>
        password is { Length: >= MinPasswordLength and <= MaxPasswordLength };

    /// <summary>Letters, digits and <c>. _ @ -</c>, 1 to 64 characters.</summary>
    public static bool IsAcceptableUsername(string? username) =>
        username is { Length: > 0 and <= MaxUsernameLength } && username.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '@' or '-');

    /// <summary>A new user record (not stored) with a hashed password and a fresh security stamp.</summary>
    public UserRecord NewUser(string username, string password, UserRole role) =>
        new(username, role, Hasher.HashPassword(null!, password), NewStamp(), time.GetUtcNow());

    /// <summary>
    /// The user when <paramref name="password"/> is theirs; null otherwise. An unknown name costs the same hashing as a
    /// wrong password, so timing does not tell which names exist.
    /// </summary>
    public async Task<UserRecord?> VerifyPasswordAsync(string username, string password, CancellationToken cancellationToken)
    {
        var user = await store.FindUserAsync(username, cancellationToken);
        if (user is null)
        {
            Hasher.VerifyHashedPassword(null!, DummyHash.Value, password);
            return null;
        }
        return Hasher.VerifyHashedPassword(user, user.PasswordHash, password) == PasswordVerificationResult.Failed ? null : user;
    }

    /// <summary>The stored user, cached for <see cref="AuthOptions.CacheDuration"/>; null when there is none.</summary>
    /// <summary>
    /// Whether a signed-in principal (a bearer token's or the UI cookie's) still names an existing user with the security
    /// stamp and role it carries: deleting a user, or changing their password or role, ends what was issued before.
    /// Read through the short cache.
    /// </summary>
    public async Task<bool> IsCurrentAsync(System.Security.Claims.ClaimsPrincipal? principal, CancellationToken cancellationToken) =>
        principal?.FindFirst(AuthClaims.Name)?.Value is { } name
        && principal.FindFirst(AuthClaims.Stamp)?.Value is { } stamp
        && await FindCachedAsync(name, cancellationToken) is { } user
        && user.SecurityStamp == stamp
        && UserRoles.Name(user.Role) == principal.FindFirst(AuthClaims.Role)?.Value;

    public async Task<UserRecord?> FindCachedAsync(string username, CancellationToken cancellationToken) =>
        await cache.GetOrCreateAsync(CacheKey(username), async entry =>
        {
            entry.AbsoluteExpirationRelativeToNow = options.Value.CacheDuration;
            return await store.FindUserAsync(username, cancellationToken);
        });

    /// <summary>Forgets what this process cached about the user (after a delete, so its tokens fail here at once).</summary>
    public void Forget(string username) => cache.Remove(CacheKey(username));

    /// <summary>A password for the first admin when none is configured: 24 random bytes, URL-safe Base64.</summary>
    public static string GeneratePassword() => Base64UrlText(RandomNumberGenerator.GetBytes(24));

    internal static string Base64UrlText(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    private static string NewStamp() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));

    private static string CacheKey(string username) => "js-user:" + username;
}
