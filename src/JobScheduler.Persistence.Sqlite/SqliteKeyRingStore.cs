using JobScheduler.Core.Storage;
using static JobScheduler.Persistence.Sqlite.SqliteSql;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>The key ring of action secrets in the SQLite file's <c>data_protection_keys</c>: read whole, only ever inserted into.</summary>
public sealed class SqliteKeyRingStore(SqliteDatabase database, TimeProvider time) : IKeyRingStore
{
    public IReadOnlyList<string> ReadAll() =>
        // Data Protection asks synchronously; SQLite reads are synchronous anyway (ReadAsync completes on this thread).
        database.ReadAsync(connection =>
        {
            using var command = Command(connection, "SELECT xml FROM data_protection_keys ORDER BY id");
            using var reader = command.ExecuteReader();
            var elements = new List<string>();
            while (reader.Read())
            {
                elements.Add(reader.GetString(0));
            }
            return elements;
        }).GetAwaiter().GetResult();

    public void Add(string name, string xml) =>
        // Through the writer, so the key commits (durably) with whatever else is queued; a key is created rarely.
        database.Writer.ExecuteAsync(
            "INSERT INTO data_protection_keys (friendly_name, xml, created_at) VALUES ($1, $2, $3)",
            name, xml, Ticks(time.GetUtcNow())).GetAwaiter().GetResult();
}
