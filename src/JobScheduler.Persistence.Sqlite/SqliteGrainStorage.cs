using System.Globalization;
using JobScheduler.Core.Storage;
using Orleans.Storage;
using static JobScheduler.Persistence.Sqlite.SqliteSql;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>
/// Orleans grain storage in the SQLite file, with writes through the group-commit <see cref="SqliteWriter"/>. As in
/// PostgreSQL, a job's state is its row in <c>jobs</c> and an execution's its row in <c>executions</c> (the rows lists
/// read), and any other state is an opaque payload in <c>grain_state</c>.
/// <para>
/// The ETag is the row's version; a write names the version it read (or none for the first), and a write that finds
/// another version is refused with <see cref="InconsistentStateException"/>, so a stale activation never overwrites
/// newer state. Clearing a job deletes its row and its finished executions in one transaction.
/// </para>
/// </summary>
public sealed class SqliteGrainStorage(string serviceId, SqliteDatabase database, IGrainStorageSerializer serializer) : IGrainStorage
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

    private readonly SqliteJobRows _jobs = new(database);
    private readonly SqliteExecutionRows _executions = new(database);

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
                _ => await database.Writer.ExecuteAsync(DeleteSql, serviceId, grainId.ToString(), stateName, version) == 1,
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
        var row = await database.ReadAsync(connection =>
        {
            using var command = Command(connection, ReadSql, serviceId, grainId.ToString(), stateName);
            using var reader = command.ExecuteReader();
            return reader.Read() ? (Payload: (byte[])reader.GetValue(0), Version: reader.GetInt32(1)) : ((byte[] Payload, int Version)?)null;
        });
        return row is { } found ? (serializer.Deserialize<T>(new BinaryData(found.Payload))!, found.Version) : null;
    }

    private async Task<bool> WritePayloadAsync<T>(string stateName, GrainId grainId, T state, int? read)
    {
        var payload = serializer.Serialize(state).ToArray();
        var written = read is { } version
            ? await database.Writer.ExecuteAsync(UpdateSql, serviceId, grainId.ToString(), stateName, payload, version)
            : await database.Writer.ExecuteAsync(InsertSql, serviceId, grainId.ToString(), stateName, payload);
        return written == 1;
    }

    private static string Key(GrainId grainId) => grainId.Key.ToString()!;

    private static InconsistentStateException Conflict(string stateName, GrainId grainId, string? etag) =>
        new($"The state of {grainId} ({stateName}) was written by another activation since this one read it.", null, etag);

    private static int ParseVersion(string etag) =>
        int.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new InconsistentStateException($"'{etag}' is not a version this storage wrote.", null, etag);
}
