using System.Globalization;
using System.Text.Json;

namespace JobScheduler.Api;

/// <summary>Query-string parsing that reports bad values by parameter name.</summary>
internal static class Query
{
    public const int MaxLimit = 500;

    public static TEnum? ParseEnum<TEnum>(string? value, string field, List<FieldError> errors)
        where TEnum : struct, Enum
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        if (Enum.TryParse<TEnum>(value, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed) && !char.IsDigit(value[0]))
        {
            return parsed;
        }
        var names = Enum.GetNames<TEnum>().Select(JsonNamingPolicy.CamelCase.ConvertName);
        errors.Add(new(field, $"'{value}' is not one of {string.Join(", ", names)}."));
        return null;
    }

    public const int DefaultLimit = 50;

    public static int ParseLimit(string? value, List<FieldError> errors)
    {
        if (string.IsNullOrEmpty(value))
        {
            return DefaultLimit;
        }
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) || limit is < 1 or > MaxLimit)
        {
            errors.Add(new("limit", $"'{value}' is not a whole number between 1 and {MaxLimit}."));
            return DefaultLimit;
        }
        return limit;
    }

    public static DateTimeOffset? ParseInstant(string? value, string field, List<FieldError> errors)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
        {
            return instant;
        }
        errors.Add(new(field, $"'{value}' is not an ISO-8601 instant such as 2026-01-31T09:00:00Z."));
        return null;
    }
}
