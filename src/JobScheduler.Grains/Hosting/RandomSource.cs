namespace JobScheduler.Grains.Hosting;

/// <summary>
/// Where the scheduler's randomness comes from (retry jitter): injected, so that a test can make it predictable, and
/// the only code that names the process's shared generator.
/// </summary>
public class RandomSource
{
    /// <summary>A number in [0, 1).</summary>
#pragma warning disable RS0030 // The one place the shared generator is named.
    public virtual double NextDouble() => Random.Shared.NextDouble();
#pragma warning restore RS0030
}
