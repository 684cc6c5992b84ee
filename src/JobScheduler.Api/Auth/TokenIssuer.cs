using System.Security.Claims;
using JobScheduler.Core.Auth;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace JobScheduler.Api.Auth;

/// <summary>Issues short-lived HS256 access tokens (<c>POST /api/auth/token</c>) that the JWT bearer handler checks.</summary>
public sealed class TokenIssuer(SigningKeys keys, IOptions<AuthOptions> options, TimeProvider time)
{
    private readonly JsonWebTokenHandler _handler = new();

    public TokenResponse Issue(UserRecord user)
    {
        var now = time.GetUtcNow();
        var expires = now + options.Value.TokenLifetime;
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Value.Issuer,
            Audience = options.Value.Issuer,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Subject = new ClaimsIdentity(
            [
                new Claim(AuthClaims.Name, user.Username),
                new Claim(AuthClaims.Role, UserRoles.Name(user.Role)),
                new Claim(AuthClaims.Stamp, user.SecurityStamp),
                new Claim(JwtRegisteredClaimNames.Jti, Guid.NewGuid().ToString("n")),
            ]),
            SigningCredentials = new SigningCredentials(keys.Current, SecurityAlgorithms.HmacSha256),
        });
        return new TokenResponse(token, expires);
    }

    /// <summary>How the bearer handler checks a token: our issuer and audience, HS256 only, 30 s of clock skew.</summary>
    public static TokenValidationParameters ValidationParameters(SigningKeys keys, AuthOptions options, TimeProvider time) => new()
    {
        ValidIssuer = options.Issuer,
        ValidAudience = options.Issuer,
        ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
        IssuerSigningKeyResolver = (_, _, _, _) => [keys.Current],
        RequireSignedTokens = true,
        RequireExpirationTime = true,
        ClockSkew = TimeSpan.FromSeconds(30),
        LifetimeValidator = (notBefore, expires, _, parameters) => Lifetime(notBefore, expires, parameters.ClockSkew, time.GetUtcNow().UtcDateTime),
        NameClaimType = AuthClaims.Name,
        RoleClaimType = AuthClaims.Role,
    };

    /// <summary>The lifetime check on the injected clock (the default one reads the system clock).</summary>
    private static bool Lifetime(DateTime? notBefore, DateTime? expires, TimeSpan skew, DateTime now) =>
        expires is { } end && now <= end + skew && (notBefore is not { } start || now >= start - skew);
}

/// <summary>Answer of <c>POST /api/auth/token</c>: <c>{"accessToken", "expiresAt"}</c>.</summary>
public sealed record TokenResponse(string AccessToken, DateTimeOffset ExpiresAt);
