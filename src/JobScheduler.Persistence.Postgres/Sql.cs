using Npgsql;
using NpgsqlTypes;

namespace JobScheduler.Persistence.Postgres;

/// <summary>Typed parameters for the statements of this project.</summary>
internal static class Sql
{
    public static NpgsqlParameter Text(string? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)value ?? DBNull.Value };

    public static NpgsqlParameter Jsonb(string? json) =>
        new() { NpgsqlDbType = NpgsqlDbType.Jsonb, Value = (object?)json ?? DBNull.Value };

    /// <summary>timestamptz parameters must be UTC for Npgsql; instants from clients may carry any offset.</summary>
    public static NpgsqlParameter Instant(DateTimeOffset? value) =>
        new() { NpgsqlDbType = NpgsqlDbType.TimestampTz, Value = value is { } v ? v.ToUniversalTime() : DBNull.Value };

    public static NpgsqlParameter<int> Int(int value) => new() { TypedValue = value };

    public static NpgsqlParameter<bool> Bool(bool value) => new() { TypedValue = value };

    /// <summary>
    /// A LIKE pattern (default escape character '\') matching the strings that start with <paramref name="prefix"/>:
    /// its own '%', '_' and '\' match only themselves (a DAG 'a_b' must not take the executions of 'axb').
    /// </summary>
    public static string LikePrefix(string prefix) =>
        prefix.Replace(@"\", @"\\", StringComparison.Ordinal)
            .Replace("%", @"\%", StringComparison.Ordinal)
            .Replace("_", @"\_", StringComparison.Ordinal) + "%";
}
