using System.Globalization;
using JobScheduler.Core.Storage;
using Npgsql;
using NpgsqlTypes;
using Orleans.Storage;

namespace JobScheduler.Persistence.Postgres;

/// <summary>
/// Orleans grain storage over JobScheduler's tables, through the <see cref="PostgresBatcher"/> (the writes of many
/// grains share one commit). A job's state is its row in <c>js_jobs</c> and an execution's its row in
/// <c>js_executions</c> (<see cref="PostgresJobRows"/>, <see cref="PostgresExecutionRows"/>): the rows lists read, so
/// each change is one statement. Any other state is an opaque payload in <c>js_grain_state</c>.
/// <para>
/// The ETag is the row's version; a write names the version it read (or none for the first), and a write that finds
/// another version is refused with <see cref="InconsistentStateException"/>, so a stale second activation of a grain
/// can never overwrite newer state.
/// </para>
/// </summary>
public sealed class PostgresGrainStorage(string serviceId, PostgresBatcher batcher, IGrainStorageSerializer serializer) : IGrainStorage
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

    private readonly PostgresJobRows _jobs = new(batcher);
    private readonly PostgresExecutionRows _executions = new(batcher);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        (object State, int Version)? found = stateName switch
        {
            StateNames.Job when typeof(T) == typeof(JobGrainState) => await _jobs.ReadAsync(Key(grainId)),
            StateNames.Execution when typeof(T) == typeof(ExecutionGrainState) => await _executions.ReadAsync(Key(grainId)),
            _ => await ReadPayloadAsync<T>(stateName, grainId),
        };
        if (found is { } row)
        {
            grainState.State = (T)row.State;
            grainState.ETag = row.Version.ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
    }

    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var read = grainState.ETag is null ? (int?)null : ParseVersion(grainState.ETag);
        var written = grainState.State switch
        {
            JobGrainState job when stateName == StateNames.Job => await _jobs.WriteAsync(job, read),
            ExecutionGrainState execution when stateName == StateNames.Execution => await _executions.WriteAsync(execution, read),
            _ => await WritePayloadAsync(stateName, grainId, grainState.State, read),
        };
        if (!written)
        {
            throw Conflict(stateName, grainId, grainState.ETag);
        }
        grainState.ETag = ((read ?? 0) + 1).ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (grainState.ETag is not null)
        {
            var version = ParseVersion(grainState.ETag);
            var deleted = stateName switch
            {
                StateNames.Job when typeof(T) == typeof(JobGrainState) => await _jobs.DeleteAsync(Key(grainId), version),
                StateNames.Execution when typeof(T) == typeof(ExecutionGrainState) => await _executions.DeleteAsync(Key(grainId), version),
                _ => await batcher.ExecuteAsync(DeleteSql, [.. PayloadKey(stateName, grainId), new NpgsqlParameter<int> { TypedValue = version }]) == 1,
            };
            if (!deleted)
            {
                throw Conflict(stateName, grainId, grainState.ETag);
            }
        }
        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private async Task<(object State, int Version)?> ReadPayloadAsync<T>(string stateName, GrainId grainId)
    {
        var row = await batcher.QueryAsync(ReadSql, PayloadKey(stateName, grainId), reader =>
            reader.Read() ? (Payload: reader.GetFieldValue<byte[]>(0), Version: reader.GetInt32(1)) : ((byte[] Payload, int Version)?)null);
        return row is { } found ? (serializer.Deserialize<T>(new BinaryData(found.Payload))!, found.Version) : null;
    }

    private async Task<bool> WritePayloadAsync<T>(string stateName, GrainId grainId, T state, int? read)
    {
        var payload = new NpgsqlParameter<byte[]> { TypedValue = serializer.Serialize(state).ToArray(), NpgsqlDbType = NpgsqlDbType.Bytea };
        var written = read is { } version
            ? await batcher.ExecuteAsync(UpdateSql, [.. PayloadKey(stateName, grainId), payload, new NpgsqlParameter<int> { TypedValue = version }])
            : await batcher.ExecuteAsync(InsertSql, [.. PayloadKey(stateName, grainId), payload]);
        return written == 1;
    }

    private static string Key(GrainId grainId) => grainId.Key.ToString()!;

    private NpgsqlParameter[] PayloadKey(string stateName, GrainId grainId) =>
    [
        new NpgsqlParameter<string> { TypedValue = serviceId },
        new NpgsqlParameter<string> { TypedValue = grainId.ToString() },
        new NpgsqlParameter<string> { TypedValue = stateName },
    ];

    private static InconsistentStateException Conflict(string stateName, GrainId grainId, string? etag) =>
        new($"The state of {grainId} ({stateName}) was written by another activation since this one read it.", null, etag);

    private static int ParseVersion(string etag) =>
        int.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new InconsistentStateException($"'{etag}' is not a version this storage wrote.", null, etag);
}
