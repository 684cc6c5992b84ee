namespace JobScheduler.Chaos;

/// <summary>
/// A lost attempt and the attempt that ran it again, with the fault that lost it: how long the re-run waited after the
/// fault began and after the cluster showed the node down.
/// </summary>
public sealed record LostAttemptRerun(string ExecutionId, string Node, string FaultKind, TimeSpan AfterFault, TimeSpan? AfterDetection);
