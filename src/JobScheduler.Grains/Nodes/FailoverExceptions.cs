namespace JobScheduler.Grains.Nodes;

/// <summary>
/// Which failures are the ordinary consequence of a peer silo dying or freezing, so that the work that met one logs a
/// warning (one line) rather than an error: the work is picked up again by design (the due-jobs scanner, the
/// maintenance sweep, a re-activation elsewhere), and an operator watching errors should not be paged for a failover.
/// </summary>
internal static class FailoverExceptions
{
    /// <summary>
    /// True for a call to a silo that was declared dead while the call was out (<see cref="SiloUnavailableException"/>),
    /// a message Orleans could not deliver, e.g. no connection to a dead silo or an activation gone with it
    /// (<see cref="OrleansMessageRejectionException"/>), and an attempt's node that left the cluster
    /// (<see cref="NodeUnavailableException"/>); for an aggregate, when all of its exceptions are. False for anything
    /// else, including <see cref="TimeoutException"/>: inside a silo a call to a dead peer fails with
    /// <see cref="SiloUnavailableException"/> once membership declares it dead (seconds), so a call that waited out the
    /// full response timeout met a silo that was alive and did not answer, which is worth an error.
    /// </summary>
    public static bool IsExpected(Exception exception) => exception switch
    {
        SiloUnavailableException or OrleansMessageRejectionException or NodeUnavailableException => true,
        AggregateException { InnerExceptions.Count: > 0 } aggregate => aggregate.InnerExceptions.All(IsExpected),
        _ => false,
    };

    /// <summary>The exception in one line, for a warning without a stack trace: its type and message.</summary>
    public static string Describe(Exception exception) => $"{exception.GetType().Name}: {exception.Message.ReplaceLineEndings(" ")}";
}
