using System.Text.RegularExpressions;

namespace JobScheduler.Core.Dags;

/// <summary>
/// Fills an http step's URL, header values and body with its inputs: <c>{{upstream.&lt;step&gt;.&lt;name&gt;}}</c> is an
/// upstream step's output, <c>{{params.&lt;name&gt;}}</c> a run parameter (spaces inside the braces allowed). A
/// reference to a missing step, output or parameter becomes empty (a skipped upstream publishes nothing); text between
/// braces that is not such a reference is left as it is.
/// </summary>
public static partial class StepTemplate
{
    [GeneratedRegex(@"\{\{\s*(?:upstream\.(?<step>[A-Za-z0-9][A-Za-z0-9_-]*)\.(?<name>[A-Za-z_][A-Za-z0-9_]*)|params\.(?<param>[A-Za-z_][A-Za-z0-9_]*))\s*\}\}")]
    private static partial Regex Reference();

    /// <summary>
    /// <paramref name="text"/> with every reference replaced; with <paramref name="urlEncode"/> (for a URL) each value
    /// is escaped as a URI data string, so it cannot add path segments or query parameters.
    /// </summary>
    public static string Apply(string text, StepInputs inputs, bool urlEncode)
    {
        if (!text.Contains("{{", StringComparison.Ordinal))
        {
            return text;
        }
        return Reference().Replace(text, match =>
        {
            var value = match.Groups["param"].Success
                ? inputs.Parameters.GetValueOrDefault(match.Groups["param"].Value)
                : inputs.Upstream.GetValueOrDefault(match.Groups["step"].Value)?.GetValueOrDefault(match.Groups["name"].Value);
            return value is null ? "" : urlEncode ? Uri.EscapeDataString(value) : value;
        });
    }
}
