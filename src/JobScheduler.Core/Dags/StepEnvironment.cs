namespace JobScheduler.Core.Dags;

/// <summary>
/// The environment a DAG step's command sees (SPEC §6): the file it writes its outputs to, its direct upstream steps'
/// outputs as <c>JOBSCHEDULER_UPSTREAM_&lt;STEP&gt;_&lt;NAME&gt;</c> and the run's parameters as
/// <c>JOBSCHEDULER_PARAM_&lt;NAME&gt;</c>.
/// </summary>
public static class StepEnvironment
{
    /// <summary>Names the (empty, per attempt) file a command step writes <c>name=value</c> lines to.</summary>
    public const string OutputFileVariable = "JOBSCHEDULER_OUTPUT";

    public const string UpstreamPrefix = "JOBSCHEDULER_UPSTREAM_";

    public const string ParameterPrefix = "JOBSCHEDULER_PARAM_";

    /// <summary>A step id, output or parameter name as it appears in a variable name: upper case, every character other than A–Z and 0–9 as '_'.</summary>
    public static string Name(string name) => string.Create(name.Length, name, static (span, source) =>
    {
        for (var i = 0; i < source.Length; i++)
        {
            var c = source[i];
            span[i] = c switch
            {
                >= 'a' and <= 'z' => (char)(c - 'a' + 'A'),
                >= 'A' and <= 'Z' or >= '0' and <= '9' => c,
                _ => '_',
            };
        }
    });

    /// <summary>
    /// The variables for <paramref name="inputs"/>. Two different sources can still map to one name (step <c>a_b</c>
    /// output <c>c</c> and step <c>a</c> output <c>b_c</c>; validation refuses only step ids that collide): then the
    /// first in ordinal order of step id, then name, keeps it, so the answer never depends on dictionary order.
    /// </summary>
    public static IReadOnlyDictionary<string, string> For(StepInputs inputs)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (step, outputs) in inputs.Upstream.OrderBy(u => u.Key, StringComparer.Ordinal))
        {
            foreach (var (name, value) in outputs.OrderBy(o => o.Key, StringComparer.Ordinal))
            {
                variables.TryAdd($"{UpstreamPrefix}{Name(step)}_{Name(name)}", value);
            }
        }
        foreach (var (name, value) in inputs.Parameters.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            variables.TryAdd($"{ParameterPrefix}{Name(name)}", value);
        }
        return variables;
    }
}
