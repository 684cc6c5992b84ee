using JobScheduler.Core.Storage;
using Orleans.Storage;
using static JobScheduler.Persistence.Sqlite.SqliteSql;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>
/// Orleans grain storage in the SQLite file (<see cref="RowGrainStorage"/> routes the states), with writes through the
/// group-commit <see cref="SqliteWriter"/>. As in PostgreSQL, a job's state is its row in <c>jobs</c>, an
/// execution's its row in <c>executions</c>, a DAG's its row in <c>dags</c> and a DAG run's its row in
/// <c>dag_runs</c> (the rows lists read), and any other state is an opaque payload in <c>grain_state</c>. Clearing a
/// job deletes its row and its finished executions in one transaction; clearing a DAG, its row, its finished runs and
/// its steps' finished executions.
/// </summary>
public sealed class SqliteGrainStorage(string serviceId, SqliteDatabase database, IGrainStorageSerializer serializer) : RowGrainStorage(
    serializer, new SqliteJobRows(database), new SqliteExecutionRows(database), new SqliteDagRows(database), new SqliteDagRunRows(database))
{
    private const string ReadSql = "SELECT payload, version FROM grain_state WHERE service_id = $1 AND grain_id = $2 AND state_name = $3";

    private const string InsertSql = """
        INSERT INTO grain_state (service_id, grain_id, state_name, payload, version) VALUES ($1, $2, $3, $4, 1)
        ON CONFLICT DO NOTHING
        """;

    private const string UpdateSql = """
        UPDATE grain_state SET payload = $4, version = version + 1
        WHERE service_id = $1 AND grain_id = $2 AND state_name = $3 AND version = $5
        """;

    private const string DeleteSql = "DELETE FROM grain_state WHERE service_id = $1 AND grain_id = $2 AND state_name = $3 AND version = $4";

    protected override Task<(byte[] Payload, int Version)?> ReadPayloadAsync(string stateName, GrainId grainId) =>
        database.ReadAsync(connection =>
        {
            using var command = Command(connection, ReadSql, serviceId, grainId.ToString(), stateName);
            using var reader = command.ExecuteReader();
            return reader.Read() ? ((byte[])reader.GetValue(0), reader.GetInt32(1)) : ((byte[] Payload, int Version)?)null;
        });

    protected override async Task<bool> WritePayloadAsync(string stateName, GrainId grainId, byte[] payload, int? version)
    {
        var written = version is { } read
            ? await database.Writer.ExecuteAsync(UpdateSql, serviceId, grainId.ToString(), stateName, payload, read)
            : await database.Writer.ExecuteAsync(InsertSql, serviceId, grainId.ToString(), stateName, payload);
        return written == 1;
    }

    protected override async Task<bool> DeletePayloadAsync(string stateName, GrainId grainId, int version) =>
        await database.Writer.ExecuteAsync(DeleteSql, serviceId, grainId.ToString(), stateName, version) == 1;
}
