namespace JobScheduler.Core.Secrets;

/// <summary>
/// The life of an action's secrets (<see cref="ActionSpec.Secrets"/>, <see cref="ActionSpec.SecretHeaders"/>) apart from
/// the cryptography, which the caller passes in: sealed (encrypted) when a definition is written, shown as
/// <see cref="Mask"/> in every answer, and revealed (merged into the environment or the headers) only for the run.
/// </summary>
public static class ActionSecrets
{
    /// <summary>What every answer shows in place of a secret value; sent back, it keeps the stored value.</summary>
    public const string Mask = "***";

    /// <summary>Starts every stored (encrypted) secret value; the version names the purpose and format.</summary>
    public const string SealedPrefix = "enc:v1:";

    /// <summary>Whether the action has any secret.</summary>
    public static bool HasSecrets(ActionSpec? action) =>
        action is not null && (action.Secrets is { Count: > 0 } || action.SecretHeaders is { Count: > 0 });

    /// <summary>The action as an answer shows it: every secret value replaced by <see cref="Mask"/> (the same instance when it has none).</summary>
    public static ActionSpec Redact(ActionSpec action) => HasSecrets(action)
        ? action with { Secrets = Masked(action.Secrets), SecretHeaders = Masked(action.SecretHeaders) }
        : action;

    /// <summary>The job as an answer shows it (see <see cref="Redact(ActionSpec)"/>).</summary>
    public static JobInfo Redact(JobInfo job) => HasSecrets(job.Action) ? job with { Action = Redact(job.Action!) } : job;

    /// <summary>The DAG as an answer shows it: every step's action redacted.</summary>
    public static DagInfo Redact(DagInfo dag) => dag.Steps is { } steps && steps.Any(s => HasSecrets(s.Action))
        ? dag with { Steps = [.. steps.Select(s => HasSecrets(s.Action) ? s with { Action = Redact(s.Action!) } : s)] }
        : dag;

    /// <summary>
    /// The action as it is stored: each secret value sealed with <paramref name="seal"/>, except <see cref="Mask"/>, which
    /// keeps the value <paramref name="stored"/> has under the same name (header names compare case-insensitively). A
    /// mask with nothing stored under its name is an error naming the field; a value is never taken as already sealed,
    /// so a client cannot plant another job's ciphertext. Errors start with <paramref name="field"/>, the action's own
    /// field (<c>action</c>, <c>steps[i].action</c>).
    /// </summary>
    public static ActionSpec Seal(ActionSpec action, ActionSpec? stored, Func<string, string> seal, string field, List<FieldError> errors)
    {
        if (!HasSecrets(action))
        {
            return action;
        }
        return action with
        {
            Secrets = Sealed(action.Secrets, stored?.Secrets, StringComparer.Ordinal, seal, $"{field}.secrets", errors),
            SecretHeaders = Sealed(action.SecretHeaders, stored?.SecretHeaders, StringComparer.OrdinalIgnoreCase, seal, $"{field}.secretHeaders", errors),
        };
    }

    /// <summary>
    /// The action as it runs: its secrets opened with <paramref name="open"/> and added to <see cref="ActionSpec.Env"/>
    /// (a command's) or <see cref="ActionSpec.Headers"/> (an http action's), so the runners treat them as their own;
    /// <paramref name="values"/> are the opened values, for masking the attempt's output.
    /// </summary>
    public static ActionSpec Reveal(ActionSpec action, Func<string, string> open, out IReadOnlyList<string> values)
    {
        if (!HasSecrets(action))
        {
            values = [];
            return action;
        }
        var opened = new List<string>();
        var env = Merged(action.Env, action.Secrets, StringComparer.Ordinal, open, opened);
        var headers = Merged(action.Headers, action.SecretHeaders, StringComparer.OrdinalIgnoreCase, open, opened);
        values = opened;
        return action with { Env = env, Headers = headers, Secrets = null, SecretHeaders = null };
    }

    private static Dictionary<string, string>? Masked(Dictionary<string, string>? secrets) =>
        secrets?.ToDictionary(s => s.Key, _ => Mask, secrets.Comparer);

    private static Dictionary<string, string>? Sealed(
        Dictionary<string, string>? secrets, Dictionary<string, string>? stored, StringComparer names, Func<string, string> seal,
        string field, List<FieldError> errors)
    {
        if (secrets is null)
        {
            return null;
        }
        var result = new Dictionary<string, string>(secrets.Count, StringComparer.Ordinal);
        foreach (var (name, value) in secrets)
        {
            if (value != Mask)
            {
                result[name] = seal(value);
            }
            else if (Find(stored, name, names) is { } earlier && earlier.StartsWith(SealedPrefix, StringComparison.Ordinal))
            {
                result[name] = earlier;
            }
            else
            {
                errors.Add(new($"{field}.{JobSpecValidator.Shorten(name)}",
                    $"'{Mask}' keeps the stored secret of that name, but there is none: send the secret's value."));
            }
        }
        return result;
    }

    private static string? Find(Dictionary<string, string>? stored, string name, StringComparer names) =>
        stored is null ? null
        : stored.TryGetValue(name, out var exact) ? exact
        : stored.FirstOrDefault(s => names.Equals(s.Key, name)).Value;

    private static Dictionary<string, string>? Merged(
        Dictionary<string, string>? plain, Dictionary<string, string>? secrets, StringComparer names, Func<string, string> open, List<string> opened)
    {
        if (secrets is not { Count: > 0 })
        {
            return plain;
        }
        // Copied name by name: plain headers may repeat a name in another case, which a case-insensitive copy refuses.
        var merged = new Dictionary<string, string>(names);
        foreach (var (name, value) in plain ?? [])
        {
            merged[name] = value;
        }
        foreach (var (name, value) in secrets)
        {
            var secret = open(value);
            merged[name] = secret;
            opened.Add(secret);
        }
        return merged;
    }
}
