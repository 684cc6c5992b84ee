using JobScheduler.Core.Storage;
using Npgsql;
using NpgsqlTypes;
using Orleans.Storage;

namespace JobScheduler.Persistence.Postgres;

/// <summary>
/// Orleans grain storage over JobScheduler's tables (<see cref="RowGrainStorage"/> routes the states), through the
/// <see cref="PostgresBatcher"/>: the writes of many grains share one commit. A job's state is its row in
/// <c>js_jobs</c>, an execution's its row in <c>js_executions</c>, a DAG's its row in <c>js_dags</c> and a DAG run's
/// its row in <c>js_dag_runs</c> (<see cref="PostgresJobRows"/>, <see cref="PostgresExecutionRows"/>,
/// <see cref="PostgresDagRows"/>, <see cref="PostgresDagRunRows"/>); any other state is an opaque payload in
/// <c>js_grain_state</c>.
/// </summary>
public sealed class PostgresGrainStorage(string serviceId, PostgresBatcher batcher, IGrainStorageSerializer serializer) : RowGrainStorage(
    serializer, new PostgresJobRows(batcher), new PostgresExecutionRows(batcher), new PostgresDagRows(batcher), new PostgresDagRunRows(batcher))
{
    private const string ReadSql = "SELECT payload, version FROM js_grain_state WHERE service_id = $1 AND grain_id = $2 AND state_name = $3";

    private const string InsertSql = """
        INSERT INTO js_grain_state (service_id, grain_id, state_name, payload, version) VALUES ($1, $2, $3, $4, 1)
        ON CONFLICT DO NOTHING
        """;

    private const string UpdateSql = """
        UPDATE js_grain_state SET payload = $4, version = version + 1, modified_on = now()
        WHERE service_id = $1 AND grain_id = $2 AND state_name = $3 AND version = $5
        """;

    private const string DeleteSql = "DELETE FROM js_grain_state WHERE service_id = $1 AND grain_id = $2 AND state_name = $3 AND version = $4";

    protected override Task<(byte[] Payload, int Version)?> ReadPayloadAsync(string stateName, GrainId grainId) =>
        batcher.QueryAsync(ReadSql, Key(stateName, grainId), reader =>
            reader.Read() ? (reader.GetFieldValue<byte[]>(0), reader.GetInt32(1)) : ((byte[] Payload, int Version)?)null);

    protected override async Task<bool> WritePayloadAsync(string stateName, GrainId grainId, byte[] payload, int? version)
    {
        var bytes = new NpgsqlParameter<byte[]> { TypedValue = payload, NpgsqlDbType = NpgsqlDbType.Bytea };
        var written = version is { } read
            ? await batcher.ExecuteAsync(UpdateSql, [.. Key(stateName, grainId), bytes, new NpgsqlParameter<int> { TypedValue = read }])
            : await batcher.ExecuteAsync(InsertSql, [.. Key(stateName, grainId), bytes]);
        return written == 1;
    }

    protected override async Task<bool> DeletePayloadAsync(string stateName, GrainId grainId, int version) =>
        await batcher.ExecuteAsync(DeleteSql, [.. Key(stateName, grainId), new NpgsqlParameter<int> { TypedValue = version }]) == 1;

    private NpgsqlParameter[] Key(string stateName, GrainId grainId) =>
    [
        new NpgsqlParameter<string> { TypedValue = serviceId },
        new NpgsqlParameter<string> { TypedValue = grainId.ToString() },
        new NpgsqlParameter<string> { TypedValue = stateName },
    ];
}
