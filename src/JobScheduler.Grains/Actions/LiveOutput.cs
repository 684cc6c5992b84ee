namespace JobScheduler.Grains.Actions;

/// <summary>
/// The output of an attempt while it runs, readable from outside the run (an execution's page shows it before the
/// attempt ends): the tail so far, with the action's secrets masked as in the recorded output. Empty until the action
/// has started and its secrets are open.
/// </summary>
public sealed class LiveOutput
{
    private volatile Func<string>? _read;

    /// <summary>Called by the run once it has the output buffer and the mask.</summary>
    internal void Attach(Func<string> read) => _read = read;

    /// <summary>The output so far, or null before the action started.</summary>
    public string? Read() => _read?.Invoke();
}
