using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace JobScheduler.Api.Auth;

/// <summary>
/// Limits login attempts per remote address and per username (fixed windows, chained: both must allow), checked before
/// any hashing so guessing costs the server nothing once limited. A limit delays; it never locks an account out.
/// Limits are per process.
/// </summary>
public sealed class LoginThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<(string Address, string Username)> _limiter;

    public LoginThrottle(IOptions<AuthOptions> options)
    {
        var o = options.Value;
        _limiter = PartitionedRateLimiter.CreateChained(
            PartitionedRateLimiter.Create<(string Address, string Username), string>(attempt =>
                RateLimitPartition.GetFixedWindowLimiter(attempt.Address, _ => Window(o.LoginAttemptsPerAddress, o.LoginWindow))),
            PartitionedRateLimiter.Create<(string Address, string Username), string>(attempt =>
                RateLimitPartition.GetFixedWindowLimiter(attempt.Username, _ => Window(o.LoginAttemptsPerUser, o.LoginWindow))));
    }

    /// <summary>Null when the attempt may go ahead; otherwise how long to wait.</summary>
    public TimeSpan? Acquire(string address, string username)
    {
        using var lease = _limiter.AttemptAcquire((address, username));
        if (lease.IsAcquired)
        {
            return null;
        }
        return lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
    }

    public void Dispose() => _limiter.Dispose();

    private static FixedWindowRateLimiterOptions Window(int permits, TimeSpan window) => new()
    {
        PermitLimit = permits,
        Window = window,
        QueueLimit = 0,
        AutoReplenishment = true,
    };
}
