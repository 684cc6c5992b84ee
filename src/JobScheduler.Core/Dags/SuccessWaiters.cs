using JobScheduler.Core.Storage;

namespace JobScheduler.Core.Dags;

/// <summary>
/// A job's (or DAG's) list of DAG steps waiting for one of its successful runs (<c>waitFor</c>): who is remembered, and
/// who a success satisfies. A waiter past its deadline is forgotten (its step has failed by then).
/// </summary>
public static class SuccessWaiters
{
    /// <summary>The most waiters one job or DAG keeps; beyond it the oldest are dropped (their steps time out).</summary>
    public const int MaxKept = 10_000;

    /// <summary>Remembers a waiting step (replacing an earlier subscription of the same step) and forgets expired ones.</summary>
    public static void Add(List<SuccessWaiter> waiters, string runId, string stepId, DateTimeOffset since, DateTimeOffset until, DateTimeOffset now)
    {
        waiters.RemoveAll(w => w.Until <= now || (w.RunId == runId && w.StepId == stepId));
        waiters.Add(new SuccessWaiter { RunId = runId, StepId = stepId, Since = since, Until = until });
        if (waiters.Count > MaxKept)
        {
            waiters.RemoveRange(0, waiters.Count - MaxKept);
        }
    }

    /// <summary>
    /// A run scheduled at <paramref name="scheduledAt"/> succeeded: removes and returns the waiters it satisfies (those
    /// waiting for a run scheduled at or after their <c>since</c>), and forgets expired ones.
    /// </summary>
    public static IReadOnlyList<SuccessWaiter> Satisfied(List<SuccessWaiter> waiters, DateTimeOffset scheduledAt, DateTimeOffset now)
    {
        var satisfied = waiters.Where(w => w.Until > now && w.Since <= scheduledAt).ToList();
        waiters.RemoveAll(w => w.Until <= now || satisfied.Contains(w));
        return satisfied;
    }
}
