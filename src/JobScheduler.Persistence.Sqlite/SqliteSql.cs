using Microsoft.Data.Sqlite;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>Commands with positional parameters (<c>$1</c>, <c>$2</c>, …) and the storage form of instants.</summary>
internal static class SqliteSql
{
    /// <summary>A command on <paramref name="connection"/> whose parameters <c>$1..$n</c> are <paramref name="values"/> (null is SQL NULL).</summary>
    public static SqliteCommand Command(SqliteConnection connection, string sql, params object?[] values)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        for (var i = 0; i < values.Length; i++)
        {
            command.Parameters.AddWithValue("$" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), values[i] ?? DBNull.Value);
        }
        return command;
    }

    public static int Execute(SqliteConnection connection, string sql, params object?[] values)
    {
        using var command = Command(connection, sql, values);
        return command.ExecuteNonQuery();
    }

    /// <summary>Instants are stored as UTC ticks: exact, and ordered as the instants are whatever offset a client sent.</summary>
    public static long Ticks(DateTimeOffset value) => value.UtcTicks;

    public static long? Ticks(DateTimeOffset? value) => value?.UtcTicks;

    public static DateTimeOffset Instant(long ticks) => new(ticks, TimeSpan.Zero);
}
