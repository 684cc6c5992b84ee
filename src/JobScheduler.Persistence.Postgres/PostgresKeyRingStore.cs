using JobScheduler.Core.Storage;
using Npgsql;

namespace JobScheduler.Persistence.Postgres;

/// <summary>
/// The key ring of action secrets in <c>js_data_protection_keys</c>, shared by every silo: read whole, only ever
/// inserted into. Synchronous, as Data Protection asks; it reads once per silo start and about once a day after that.
/// </summary>
public sealed class PostgresKeyRingStore(NpgsqlDataSource dataSource) : IKeyRingStore
{
    public IReadOnlyList<string> ReadAll()
    {
        using var command = dataSource.CreateCommand("SELECT xml FROM js_data_protection_keys ORDER BY id");
        using var reader = command.ExecuteReader();
        var elements = new List<string>();
        while (reader.Read())
        {
            elements.Add(reader.GetString(0));
        }
        return elements;
    }

    public void Add(string name, string xml)
    {
        using var command = dataSource.CreateCommand("INSERT INTO js_data_protection_keys (friendly_name, xml) VALUES ($1, $2)");
        command.Parameters.Add(new NpgsqlParameter { Value = name });
        command.Parameters.Add(new NpgsqlParameter { Value = xml });
        command.ExecuteNonQuery();
    }
}
