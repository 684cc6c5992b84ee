namespace JobScheduler.Core;

/// <summary>Exponential backoff with jitter between attempts.</summary>
public static class Backoff
{
    /// <summary>
    /// The wait after failed attempt number <paramref name="failedAttempt"/> (1-based):
    /// <c>initialBackoff · multiplier^(n−1)</c>, capped at <c>maxBackoff</c>, then spread by ±<c>jitter</c>
    /// using <paramref name="random"/> in [0, 1). Never negative, never above <c>maxBackoff</c>.
    /// </summary>
    public static TimeSpan Delay(RetryPolicy policy, int failedAttempt, double random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempt, 1);
        var max = policy.MaxBackoff.Ticks;
        var exponential = policy.InitialBackoff.Ticks * Math.Pow(Math.Max(1, policy.Multiplier), failedAttempt - 1);
        var capped = Math.Min(exponential, max);
        var jitter = Math.Clamp(policy.Jitter, 0, 1);
        var spread = capped * (1 + jitter * (2 * random - 1));
        return TimeSpan.FromTicks((long)Math.Clamp(spread, 0, max));
    }
}
