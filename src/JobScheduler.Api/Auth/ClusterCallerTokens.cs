using System.Collections.Concurrent;
using System.Security.Claims;
using JobScheduler.Core.Auth;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace JobScheduler.Api.Auth;

/// <summary>
/// The tokens the REST front door hands the silos with each grain call (<see cref="CallerContextKeys.CallerToken"/>)
/// to say which user the request is for: HS256 JWTs signed with the cluster's token key (<see cref="SigningKeys"/>),
/// for their own audience (<c>&lt;issuer&gt;/cluster</c>, so a user's access token is not one) and valid for
/// <see cref="Lifetime"/>. The front door mints one per user and reuses it for a minute; silos cache what they checked.
/// </summary>
public sealed class ClusterCallerTokens(SigningKeys keys, IMemoryCache cache, IOptions<AuthOptions> options, TimeProvider time)
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Reuse = TimeSpan.FromMinutes(1);

    private readonly JsonWebTokenHandler _handler = new();
    private readonly ConcurrentDictionary<CallerPrincipal, (string Token, DateTimeOffset MintedAt)> _minted = new();

    private string Audience => options.Value.Issuer + "/cluster";

    /// <summary>A token for <paramref name="caller"/>, minted afresh once the last one is a minute old.</summary>
    public string For(CallerPrincipal caller)
    {
        var now = time.GetUtcNow();
        if (_minted.TryGetValue(caller, out var minted) && now - minted.MintedAt < Reuse)
        {
            return minted.Token;
        }
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Value.Issuer,
            Audience = Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + Lifetime).UtcDateTime,
            Subject = new ClaimsIdentity([new Claim(AuthClaims.Name, caller.Name), new Claim(AuthClaims.Role, UserRoles.Name(caller.Role))]),
            SigningCredentials = new SigningCredentials(keys.Current, SecurityAlgorithms.HmacSha256),
        });
        _minted[caller] = (token, now);
        return token;
    }

    /// <summary>The user a token names, or null when it is forged, expired or not a cluster token.</summary>
    public async ValueTask<CallerPrincipal?> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        if (cache.TryGetValue(CacheKey(token), out CallerPrincipal? known))
        {
            return known;
        }
        await keys.EnsureLoadedAsync(cancellationToken);
        var parameters = TokenIssuer.ValidationParameters(keys, options.Value, time);
        parameters.ValidAudience = Audience;
        var result = await _handler.ValidateTokenAsync(token, parameters);
        if (!result.IsValid
            || result.ClaimsIdentity.FindFirst(AuthClaims.Name)?.Value is not { Length: > 0 } name
            || !UserRoles.TryParse(result.ClaimsIdentity.FindFirst(AuthClaims.Role)?.Value, out var role))
        {
            return null;
        }
        var caller = new CallerPrincipal(name, role);
        // Never trusted past its expiry: the cache keeps it a minute at most, and a token lives five.
        cache.Set(CacheKey(token), caller, Reuse);
        return caller;
    }

    private static string CacheKey(string token) => "js-cluster-token:" + token;
}
