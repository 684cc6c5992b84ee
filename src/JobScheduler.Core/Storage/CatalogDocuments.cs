using System.Text.Json;

namespace JobScheduler.Core.Storage;

/// <summary>Shared rules of every store's lists: what a listed execution leaves out, limits, tag filters, state names.</summary>
public static class CatalogDocuments
{
    public const int MaxLimit = 500;

    public static ExecutionInfo WithoutOutput(ExecutionInfo execution) =>
        execution.Attempts.All(a => a.Output is null)
            ? execution
            : execution with { Attempts = [.. execution.Attempts.Select(a => a with { Output = null })] };

    public static int ClampLimit(int limit) => Math.Clamp(limit, 1, MaxLimit);

    /// <summary><c>key</c> (present with any value) or <c>key:value</c>.</summary>
    public static (string? Key, string? Value) ParseTag(string? tag)
    {
        if (string.IsNullOrEmpty(tag))
        {
            return (null, null);
        }
        var colon = tag.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (tag, null) : (tag[..colon], tag[(colon + 1)..]);
    }

    /// <summary>The camelCase wire name of an enum value, as stored and returned.</summary>
    public static string Name<TEnum>(TEnum value) where TEnum : struct, Enum =>
        JsonNamingPolicy.CamelCase.ConvertName(value.ToString());
}
