using Microsoft.Data.Sqlite;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>Commands with positional parameters (<c>$1</c>, <c>$2</c>, …) and the storage form of instants.</summary>
internal static class SqliteSql
{
    /// <summary>
    /// Statements made on this thread, for <c>jobscheduler.storage.statements</c>: SQLite's API is synchronous, so a
    /// read (<see cref="SqliteDatabase.ReadAsync{T}"/>) and a write transaction (<see cref="SqliteWriter"/>) each run on
    /// one thread, and the difference of this count before and after is what they sent, however many statements the
    /// caller's code ran. Transaction control (<see cref="Control"/>) is not counted.
    /// </summary>
    [ThreadStatic]
    private static long t_statements;

    /// <inheritdoc cref="t_statements"/>
    public static long StatementsOnThisThread => t_statements;

    /// <summary>A command on <paramref name="connection"/> whose parameters <c>$1..$n</c> are <paramref name="values"/> (null is SQL NULL).</summary>
    public static SqliteCommand Command(SqliteConnection connection, string sql, params object?[] values)
    {
        t_statements++;
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

    /// <summary>Runs a transaction-control statement (BEGIN, SAVEPOINT, RELEASE, COMMIT, ROLLBACK): not counted as a statement.</summary>
    public static void Control(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>Instants are stored as UTC ticks: exact, and ordered as the instants are whatever offset a client sent.</summary>
    public static long Ticks(DateTimeOffset value) => value.UtcTicks;

    public static long? Ticks(DateTimeOffset? value) => value?.UtcTicks;

    public static DateTimeOffset Instant(long ticks) => new(ticks, TimeSpan.Zero);
}
