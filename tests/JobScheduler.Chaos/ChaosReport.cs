using System.Globalization;
using System.Text;

namespace JobScheduler.Chaos;

/// <summary>What a chaos run measured and found; <see cref="ToString"/> is the summary the runner prints.</summary>
public sealed record ChaosReport(
    ChaosOptions Options,
    TimeSpan ChaosTime,
    IReadOnlyList<FaultRecord> Faults,
    IReadOnlyList<Violation> Violations,
    IReadOnlyList<LostAttemptRerun> Reruns,
    IReadOnlyList<LateFire> Fires,
    IReadOnlyList<string> ActionFailures,
    IReadOnlyList<Outage> Outages,
    int Jobs,
    int Executions,
    int DagRuns,
    int ActionCalls)
{
    /// <summary>The longest API outage that began during each kind of fault (or within 5 s after it ended).</summary>
    public Dictionary<string, TimeSpan> LongestOutageByFault()
    {
        var result = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        foreach (var fault in Faults)
        {
            var longest = Outages.Where(o => o.From >= fault.StartedAt.AddSeconds(-1) && o.From <= fault.EndedAt.AddSeconds(5)).Select(o => o.Length).DefaultIfEmpty(TimeSpan.Zero).Max();
            result[fault.Kind] = result.TryGetValue(fault.Kind, out var known) && known > longest ? known : longest;
        }
        return result;
    }

    /// <summary>The latest fire of an instant that fell due during each kind of fault (or within 5 s after it ended).</summary>
    public Dictionary<string, LateFire> LatestFireByFault()
    {
        var result = new Dictionary<string, LateFire>(StringComparer.Ordinal);
        foreach (var fault in Faults)
        {
            var latest = Fires.Where(f => f.Instant >= fault.StartedAt.AddSeconds(-1) && f.Instant <= fault.EndedAt.AddSeconds(5)).MaxBy(f => f.Late);
            if (latest is not null && (!result.TryGetValue(fault.Kind, out var known) || latest.Late > known.Late))
            {
                result[fault.Kind] = latest;
            }
        }
        return result;
    }

    public override string ToString()
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(invariant, $"chaos run: target {Options.Target}, seed {Options.Seed}, {ChaosTime.TotalMinutes:0.0} min of faults, work directory {Options.WorkDirectory}");
        text.AppendLine(invariant, $"faults survived: {Faults.Count} ({Faults.Count / ChaosTime.TotalHours:0} per hour): {string.Join(", ", Faults.GroupBy(f => f.Kind).Select(g => $"{g.Key} {g.Count()}"))}; with a burst: {Faults.Count(f => f.Burst > 0)}");
        text.AppendLine(invariant, $"checked: {Jobs} jobs, {Executions} executions, {DagRuns} DAG runs, {ActionCalls} action calls");
        var afterDetection = Reruns.Where(r => r.AfterDetection is not null).Select(r => r.AfterDetection!.Value).ToList();
        text.AppendLine(invariant, $"lost attempts re-run: {Reruns.Count}; longest wait after the fault {(Reruns.Count == 0 ? "-" : $"{Reruns.Max(r => r.AfterFault).TotalSeconds:0.0} s")}, after the node was shown down {(afterDetection.Count == 0 ? "-" : $"{afterDetection.Max().TotalSeconds:0.0} s")}");
        text.AppendLine(invariant, $"latest scheduled fire: {(Fires.MaxBy(f => f.Late) is { } latest ? Describe(latest) : "-")}");
        foreach (var (kind, fire) in LatestFireByFault())
        {
            text.AppendLine(invariant, $"latest fire of an instant due during {kind}: {Describe(fire)}");
        }
        foreach (var (kind, longest) in LongestOutageByFault())
        {
            text.AppendLine(invariant, $"longest API unavailability during {kind}: {longest.TotalSeconds:0.0} s");
        }
        text.AppendLine(invariant, $"executions whose action failed in every attempt (recorded truthfully; not a violation): {ActionFailures.Count}");
        foreach (var failure in ActionFailures.Take(10))
        {
            text.AppendLine(invariant, $"  {failure}");
        }
        text.AppendLine(invariant, $"invariant violations: {Violations.Count}");
        foreach (var violation in Violations)
        {
            text.AppendLine(violation.ToString());
        }
        return text.ToString();
    }

    private static string Describe(LateFire fire) =>
        string.Create(CultureInfo.InvariantCulture, $"{fire.Late.TotalSeconds:0.0} s after its instant ({fire.ExecutionId})");
}
