using JobScheduler.Grains.Executions;

namespace JobScheduler.Grains.Tests;

/// <summary>
/// While <see cref="Rejections"/> is above zero, refuses that many calls of <see cref="IAttemptRunnerGrain.StartAsync"/>
/// before they run, as Orleans does when another silo dies under the call (the grain directory's entry was on it):
/// the attempt's node lives, the call never reached it (found by the chaos run, seed 60421).
/// </summary>
public sealed class RunnerStartRejectedFilter : IIncomingGrainCallFilter
{
    private int _rejections;

    public int Rejections
    {
        get => Volatile.Read(ref _rejections);
        set => Volatile.Write(ref _rejections, value);
    }

    public Task Invoke(IIncomingGrainCallContext context)
    {
        if (context.InterfaceMethod?.DeclaringType == typeof(IAttemptRunnerGrain)
            && context.InterfaceMethod.Name == nameof(IAttemptRunnerGrain.StartAsync)
            && TakeOne())
        {
            throw new SiloUnavailableException("The silo holding the directory entry died (test).");
        }
        return context.Invoke();
    }

    private bool TakeOne()
    {
        int left;
        do
        {
            left = Volatile.Read(ref _rejections);
            if (left <= 0)
            {
                return false;
            }
        }
        while (Interlocked.CompareExchange(ref _rejections, left - 1, left) != left);
        return true;
    }
}
