namespace JobScheduler.Core.Tests;

public class BackoffTests
{
    /// <summary>random = 0.5 puts the jitter spread exactly in the middle: no jitter applied.</summary>
    private const double NoJitter = 0.5;

    /// <summary>The largest double below 1: the top of the [0, 1) range of the random input.</summary>
    private static readonly double AlmostOne = Math.BitDecrement(1.0);

    private static readonly RetryPolicy Policy = new()
    {
        MaxAttempts = 10,
        InitialBackoff = TimeSpan.FromSeconds(1),
        MaxBackoff = TimeSpan.FromMinutes(1),
        Multiplier = 2,
        Jitter = 0.2,
    };

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 4)]
    [InlineData(4, 8)]
    [InlineData(5, 16)]
    public void Delay_SuccessiveAttempts_GrowByMultiplier(int failedAttempt, int expectedSeconds)
    {
        var delay = Backoff.Delay(Policy, failedAttempt, NoJitter);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), delay);
    }

    [Fact]
    public void Delay_FractionalMultiplier_GrowsByThatFactor()
    {
        var policy = Policy with { InitialBackoff = TimeSpan.FromSeconds(10), Multiplier = 1.5 };

        Assert.Equal(TimeSpan.FromSeconds(22.5), Backoff.Delay(policy, 3, NoJitter));
    }

    [Fact]
    public void Delay_MultiplierOne_IsConstant()
    {
        var policy = Policy with { Multiplier = 1 };

        Assert.Equal(TimeSpan.FromSeconds(1), Backoff.Delay(policy, 1, NoJitter));
        Assert.Equal(TimeSpan.FromSeconds(1), Backoff.Delay(policy, 7, NoJitter));
    }

    [Fact]
    public void Delay_MultiplierBelowOne_NeverShrinks()
    {
        var policy = Policy with { Multiplier = 0.5 };

        Assert.Equal(TimeSpan.FromSeconds(1), Backoff.Delay(policy, 5, NoJitter));
    }

    [Theory]
    [InlineData(7)]   // 64 s > 60 s
    [InlineData(20)]
    [InlineData(100)]
    [InlineData(5000)] // 2^4999 overflows a double to infinity
    public void Delay_BeyondMaxBackoff_IsCappedAtMaxBackoff(int failedAttempt)
    {
        var delay = Backoff.Delay(Policy, failedAttempt, NoJitter);

        Assert.Equal(Policy.MaxBackoff, delay);
    }

    [Fact]
    public void Delay_RandomZero_IsBaseMinusJitter()
    {
        var delay = Backoff.Delay(Policy, 3, 0);

        Assert.Equal(TimeSpan.FromSeconds(4 * 0.8), delay);
    }

    [Fact]
    public void Delay_RandomAlmostOne_IsBasePlusJitter()
    {
        var delay = Backoff.Delay(Policy, 3, AlmostOne);

        Assert.Equal(4 * 1.2, delay.TotalSeconds, precision: 6);
        Assert.True(delay <= TimeSpan.FromSeconds(4 * 1.2));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.999999)]
    public void Delay_AnyRandom_StaysWithinJitterBounds(double random)
    {
        var delay = Backoff.Delay(Policy, 4, random);

        Assert.InRange(delay, TimeSpan.FromSeconds(8 * 0.8), TimeSpan.FromSeconds(8 * 1.2));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(0.999999)]
    public void Delay_JitterZero_IsExactExponentialValue(double random)
    {
        var policy = Policy with { Jitter = 0 };

        Assert.Equal(TimeSpan.FromSeconds(8), Backoff.Delay(policy, 4, random));
    }

    [Fact]
    public void Delay_CappedWithPositiveJitter_NeverExceedsMaxBackoff()
    {
        var delay = Backoff.Delay(Policy, 10, AlmostOne);

        Assert.Equal(Policy.MaxBackoff, delay);
    }

    [Fact]
    public void Delay_CappedWithNegativeJitter_IsBelowMaxBackoff()
    {
        var delay = Backoff.Delay(Policy, 10, 0);

        Assert.Equal(TimeSpan.FromSeconds(60 * 0.8), delay);
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(5.0)] // out of range: clamped to 1
    public void Delay_FullJitterWithRandomZero_IsZeroNotNegative(double jitter)
    {
        var policy = Policy with { Jitter = jitter };

        var delay = Backoff.Delay(policy, 3, 0);

        Assert.Equal(TimeSpan.Zero, delay);
    }

    [Fact]
    public void Delay_NegativeJitter_IsTreatedAsNoJitter()
    {
        var policy = Policy with { Jitter = -0.5 };

        Assert.Equal(TimeSpan.FromSeconds(4), Backoff.Delay(policy, 3, 0));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Delay_AttemptBelowOne_Throws(int failedAttempt)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Backoff.Delay(Policy, failedAttempt, NoJitter));
    }

    [Fact]
    public void Delay_DefaultPolicy_StartsAtOneSecondAndCapsAtFiveMinutes()
    {
        var policy = new RetryPolicy();

        Assert.Equal(TimeSpan.FromSeconds(1), Backoff.Delay(policy, 1, NoJitter));
        Assert.Equal(TimeSpan.FromMinutes(5), Backoff.Delay(policy, 30, NoJitter));
    }
}
