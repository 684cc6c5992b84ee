using System.Text;
using System.Text.RegularExpressions;

namespace JobScheduler.Core.Dags;

/// <summary>What <see cref="StepOutputs.Parse"/> read: the outputs, or why the file is refused (the attempt then fails with it).</summary>
public sealed record StepOutputsResult(Dictionary<string, string> Outputs, string? Error)
{
    public bool IsValid => Error is null;
}

/// <summary>
/// A DAG step's outputs (SPEC §6): small named values a step publishes to its dependants. A command writes them to the
/// file named by <c>JOBSCHEDULER_OUTPUT</c> as GitHub Actions' <c>$GITHUB_OUTPUT</c> takes them: <c>name=value</c>
/// lines, or <c>name&lt;&lt;DELIMITER</c>, the value's lines, then a line <c>DELIMITER</c> for a multi-line value.
/// The last write of a name wins; blank lines are ignored.
/// </summary>
public static partial class StepOutputs
{
    /// <summary>The most bytes (UTF-8) a step's outputs may have: the file as written, and names plus values as published.</summary>
    public const int MaxBytes = 64 * 1024;

    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*\z")]
    private static partial Regex NamePattern();

    /// <summary>Whether <paramref name="name"/> is a valid output name: letters, digits and '_', not starting with a digit.</summary>
    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    /// <summary>Reads the text a command step wrote to its outputs file.</summary>
    public static StepOutputsResult Parse(string text)
    {
        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > MaxBytes)
        {
            return Refused($"the outputs file ({StepEnvironment.OutputFileVariable}) has {bytes} bytes; at most {MaxBytes} are accepted.");
        }
        var outputs = new Dictionary<string, string>(StringComparer.Ordinal);
        var lines = text.Split('\n');
        var count = text.EndsWith('\n') ? lines.Length - 1 : lines.Length;
        for (var i = 0; i < count; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            var equals = line.IndexOf('=');
            var heredoc = line.IndexOf("<<", StringComparison.Ordinal);
            if (heredoc >= 0 && (equals < 0 || heredoc < equals))
            {
                var name = line[..heredoc];
                var delimiter = line[(heredoc + 2)..];
                if (!IsValidName(name))
                {
                    return Refused(InvalidName(i, name));
                }
                if (delimiter.Length == 0)
                {
                    return Refused($"line {i + 1}: '{name}<<' needs a delimiter after '<<'.");
                }
                var start = i + 1;
                var end = start;
                while (end < count && lines[end].TrimEnd('\r') != delimiter)
                {
                    end++;
                }
                if (end == count)
                {
                    return Refused($"line {i + 1}: the value of '{name}' is not closed by a line '{delimiter}'.");
                }
                outputs[name] = string.Join('\n', lines[start..end].Select(l => l.TrimEnd('\r')));
                i = end;
            }
            else if (equals >= 0)
            {
                var name = line[..equals];
                if (!IsValidName(name))
                {
                    return Refused(InvalidName(i, name));
                }
                outputs[name] = line[(equals + 1)..];
            }
            else
            {
                return Refused($"line {i + 1}: expected name=value or name<<DELIMITER, found '{Shorten(line)}'.");
            }
        }
        return new StepOutputsResult(outputs, null);
    }

    /// <summary>Checks outputs a handler set: valid names, and at most <see cref="MaxBytes"/> in all. Null when valid, else why not.</summary>
    public static string? Validate(IReadOnlyDictionary<string, string> outputs)
    {
        var bytes = 0L;
        foreach (var (name, value) in outputs.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            if (!IsValidName(name))
            {
                return $"'{Shorten(name)}' is not a valid output name: letters, digits and '_', not starting with a digit.";
            }
            bytes += Encoding.UTF8.GetByteCount(name) + Encoding.UTF8.GetByteCount(value);
        }
        return bytes > MaxBytes
            ? $"the outputs are {bytes} bytes in all (UTF-8, names and values); at most {MaxBytes} are accepted."
            : null;
    }

    private static string InvalidName(int line, string name) =>
        $"line {line + 1}: '{Shorten(name)}' is not a valid output name: letters, digits and '_', not starting with a digit.";

    private static StepOutputsResult Refused(string error) => new([], error);

    private static string Shorten(string text) => text.Length <= 64 ? text : text[..64] + "…";
}
