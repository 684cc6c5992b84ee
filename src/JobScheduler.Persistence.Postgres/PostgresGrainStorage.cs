using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Orleans.Storage;

namespace JobScheduler.Persistence.Postgres;

/// <summary>
/// Grain state in <c>js_grain_state</c>, through the <see cref="PostgresBatcher"/>: the state writes of many grains
/// share one commit. The ETag is the row's version; a write names the version it read (or none for the first), and
/// a write that finds another version is refused with <see cref="InconsistentStateException"/>, so a stale second
/// activation of a grain can never overwrite newer state.
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

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var row = await batcher.QueryAsync(ReadSql, Key(stateName, grainId), reader =>
            reader.Read() ? (Payload: reader.GetFieldValue<byte[]>(0), Version: reader.GetInt32(1)) : ((byte[] Payload, int Version)?)null);
        if (row is { } found)
        {
            grainState.State = serializer.Deserialize<T>(new BinaryData(found.Payload));
            grainState.ETag = found.Version.ToString(CultureInfo.InvariantCulture);
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
        var payload = new NpgsqlParameter<byte[]> { TypedValue = serializer.Serialize(grainState.State).ToArray(), NpgsqlDbType = NpgsqlDbType.Bytea };
        int written;
        int version;
        if (grainState.ETag is null)
        {
            written = await batcher.ExecuteAsync(InsertSql, [.. Key(stateName, grainId), payload]);
            version = 1;
        }
        else
        {
            var read = ParseVersion(grainState.ETag);
            written = await batcher.ExecuteAsync(UpdateSql, [.. Key(stateName, grainId), payload, new NpgsqlParameter<int> { TypedValue = read }]);
            version = read + 1;
        }
        if (written != 1)
        {
            throw new InconsistentStateException(
                $"The state of {grainId} ({stateName}) was written by another activation since this one read it.", null, grainState.ETag);
        }
        grainState.ETag = version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
    }

    public async Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (grainState.ETag is not null)
        {
            var deleted = await batcher.ExecuteAsync(DeleteSql, [.. Key(stateName, grainId), new NpgsqlParameter<int> { TypedValue = ParseVersion(grainState.ETag) }]);
            if (deleted != 1)
            {
                throw new InconsistentStateException(
                    $"The state of {grainId} ({stateName}) was written by another activation since this one read it.", null, grainState.ETag);
            }
        }
        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
    }

    private NpgsqlParameter[] Key(string stateName, GrainId grainId) =>
    [
        new NpgsqlParameter<string> { TypedValue = serviceId },
        new NpgsqlParameter<string> { TypedValue = grainId.ToString() },
        new NpgsqlParameter<string> { TypedValue = stateName },
    ];

    private static int ParseVersion(string etag) =>
        int.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new InconsistentStateException($"'{etag}' is not a version this storage wrote.", null, etag);
}
