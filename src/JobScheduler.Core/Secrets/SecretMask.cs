namespace JobScheduler.Core.Secrets;

/// <summary>
/// Replaces an attempt's secret values with <see cref="ActionSecrets.Mask"/> in what is recorded of it (output tail,
/// error, published outputs). The text is already bounded (<see cref="OutputTail"/>), so the cost is bounded too:
/// one ordinal search per secret over at most the tail.
/// </summary>
public sealed class SecretMask
{
    /// <summary>A partial secret at the cut start of a truncated tail is masked from this many characters on.</summary>
    public const int MinPartialLength = 3;

    private readonly string[] _secrets;

    public SecretMask(IEnumerable<string> secrets)
    {
        // Longest first, so a secret that contains another is masked whole.
        _secrets = [.. secrets.Where(s => s.Length > 0).Distinct(StringComparer.Ordinal).OrderByDescending(s => s.Length)];
    }

    public bool IsEmpty => _secrets.Length == 0;

    /// <summary>
    /// <paramref name="text"/> with every secret masked. With <paramref name="truncated"/> the text is a tail whose start
    /// was cut, possibly inside a secret: a secret's last characters (at least <see cref="MinPartialLength"/>) at the
    /// very start are masked too.
    /// </summary>
    public string? Apply(string? text, bool truncated = false)
    {
        if (string.IsNullOrEmpty(text) || IsEmpty)
        {
            return text;
        }
        if (truncated)
        {
            text = MaskCutStart(text);
        }
        foreach (var secret in _secrets)
        {
            text = text.Replace(secret, ActionSecrets.Mask, StringComparison.Ordinal);
        }
        return text;
    }

    /// <summary>Each value masked (<see cref="Apply(string?, bool)"/>); null stays null.</summary>
    public Dictionary<string, string>? Apply(Dictionary<string, string>? values) =>
        values is null || IsEmpty ? values : values.ToDictionary(v => v.Key, v => Apply(v.Value)!, values.Comparer);

    private string MaskCutStart(string text)
    {
        foreach (var secret in _secrets)
        {
            for (var length = Math.Min(secret.Length - 1, text.Length); length >= MinPartialLength; length--)
            {
                if (text.AsSpan(0, length).SequenceEqual(secret.AsSpan(secret.Length - length)))
                {
                    return ActionSecrets.Mask + text[length..];
                }
            }
        }
        return text;
    }
}
