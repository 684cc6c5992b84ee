using System.Text.RegularExpressions;

namespace JobScheduler.Core.Secrets;

/// <summary>
/// Checks an action's <see cref="ActionSpec.Secrets"/> and <see cref="ActionSpec.SecretHeaders"/>; part of
/// <see cref="JobSpecValidator"/>'s action check, so jobs, triggers and DAG steps share it. Messages name the field
/// and never repeat a value.
/// </summary>
public static partial class ActionSecretsValidator
{
    public const int MaxSecrets = 64;
    public const int MaxNameLength = 256;

    /// <summary>The longest secret value, in characters (a token, a password, a key; not a file).</summary>
    public const int MaxValueLength = 4096;

    /// <summary>The prefix of the variables the scheduler sets itself; they would override a secret of the same name.</summary>
    public const string ReservedPrefix = "JOBSCHEDULER_";

    // The portable form of an environment variable name (POSIX): what every shell can read back.
    [GeneratedRegex(@"^[A-Za-z_][A-Za-z0-9_]*\z")]
    private static partial Regex VariableName();

    // An RFC 9110 token.
    [GeneratedRegex(@"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+\z")]
    private static partial Regex HeaderName();

    /// <summary>Adds an error for each bad entry; <paramref name="field"/> is the action's own field (<c>action</c>, <c>steps[i].action</c>).</summary>
    public static void Validate(ActionSpec action, string field, List<FieldError> errors)
    {
        if (action.Secrets is { } secrets)
        {
            if (action.Kind != ActionKind.Command)
            {
                errors.Add(new($"{field}.secrets", "applies to command actions only (an http action has secretHeaders)."));
            }
            else if (CheckCount(secrets, $"{field}.secrets", errors))
            {
                foreach (var (name, value) in secrets)
                {
                    var entry = $"{field}.secrets.{JobSpecValidator.Shorten(name)}";
                    if (name.Length > MaxNameLength || !VariableName().IsMatch(name))
                    {
                        errors.Add(new(entry, $"a secret's name is an environment variable name: 1–{MaxNameLength} letters, digits and '_', not starting with a digit."));
                    }
                    else if (name.StartsWith(ReservedPrefix, StringComparison.OrdinalIgnoreCase))
                    {
                        errors.Add(new(entry, $"names starting with {ReservedPrefix} are the scheduler's own variables."));
                    }
                    else if (action.Env?.ContainsKey(name) == true)
                    {
                        errors.Add(new(entry, "is also in env: a variable is either plain or secret."));
                    }
                    CheckValue(value, entry, lineBreaksAllowed: true, errors);
                }
            }
        }
        if (action.SecretHeaders is { } headers)
        {
            if (action.Kind != ActionKind.Http)
            {
                errors.Add(new($"{field}.secretHeaders", "applies to http actions only (a command action has secrets)."));
            }
            else if (CheckCount(headers, $"{field}.secretHeaders", errors))
            {
                var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
                foreach (var (name, value) in headers)
                {
                    var entry = $"{field}.secretHeaders.{JobSpecValidator.Shorten(name)}";
                    if (name.Length > MaxNameLength || !HeaderName().IsMatch(name))
                    {
                        errors.Add(new(entry, $"a header name is 1–{MaxNameLength} characters of an HTTP token (letters, digits and !#$%&'*+-.^_`|~)."));
                    }
                    else if (!seen.Add(name))
                    {
                        errors.Add(new(entry, "is given twice (header names ignore case)."));
                    }
                    else if (action.Headers?.Keys.Any(h => string.Equals(h, name, StringComparison.OrdinalIgnoreCase)) == true)
                    {
                        errors.Add(new(entry, "is also in headers: a header is either plain or secret."));
                    }
                    CheckValue(value, entry, lineBreaksAllowed: false, errors);
                }
            }
        }
    }

    private static bool CheckCount(Dictionary<string, string> entries, string field, List<FieldError> errors)
    {
        if (entries.Count <= MaxSecrets)
        {
            return true;
        }
        errors.Add(new(field, $"has {entries.Count} entries; at most {MaxSecrets} are accepted."));
        return false;
    }

    private static void CheckValue(string? value, string field, bool lineBreaksAllowed, List<FieldError> errors)
    {
        if (value is null)
        {
            errors.Add(new(field, "must be a string, not null."));
        }
        else if (value.Length > MaxValueLength)
        {
            errors.Add(new(field, $"is {value.Length} characters; at most {MaxValueLength} are accepted."));
        }
        else if (value.Contains('\0') || (!lineBreaksAllowed && value.AsSpan().IndexOfAny('\r', '\n') >= 0))
        {
            errors.Add(new(field, lineBreaksAllowed ? "must not contain a NUL character." : "must not contain NUL, CR or LF characters."));
        }
    }
}
