namespace JobScheduler.Grains.Tests;

/// <summary>
/// While <see cref="Armed"/>, lets the next call of <see cref="IExecutionGrain.StartAsync"/> (or, with
/// <see cref="Target"/>, <see cref="IDagRunGrain.StartAsync"/>) run and then throws, once: what the job (or DAG) grain
/// sees when the silo of a new execution dies with the start call in flight (found by the chaos run, issue 13). The
/// execution exists; its creator got an error.
/// </summary>
public sealed class LostStartReplyFilter : IIncomingGrainCallFilter
{
    public volatile bool Armed;

    /// <summary>The grain interface whose <c>StartAsync</c> loses its reply.</summary>
    public Type Target { get; set; } = typeof(IExecutionGrain);

    public async Task Invoke(IIncomingGrainCallContext context)
    {
        await context.Invoke();
        if (Armed && context.InterfaceMethod?.DeclaringType == Target && context.InterfaceMethod.Name == nameof(IExecutionGrain.StartAsync))
        {
            Armed = false;
            throw new TimeoutException("The reply to the start was lost (test).");
        }
    }
}
