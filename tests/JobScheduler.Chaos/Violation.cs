namespace JobScheduler.Chaos;

/// <summary>An invariant the checker found broken, with the ids it concerns.</summary>
/// <param name="Invariant">Short name of the invariant (e.g. <c>missed-instant</c>).</param>
/// <param name="Subject">The job, execution, DAG run or node id.</param>
public sealed record Violation(string Invariant, string Subject, string Detail)
{
    public override string ToString() => $"VIOLATION {Invariant} {Subject}: {Detail}";
}
