using System.Globalization;
using Orleans.Storage;

namespace JobScheduler.Core.Storage;

/// <summary>
/// Orleans grain storage over one row per fact, shared by the SQL stores: a job's state goes to its job row, an
/// execution's to its execution row, a DAG's to its DAG row and a DAG run's to its run row (<see cref="JobRow"/>,
/// <see cref="ExecutionRow"/>, <see cref="DagRow"/>, <see cref="DagRunRow"/>), the rows lists read; any other
/// state is an opaque payload in Orleans' serialized form. A store supplies the statements: the rows'
/// (<see cref="IStateRows{TState}"/>) and the payloads'.
/// <para>
/// The ETag is the row's version; a write names the version it read (or none for the first), and a write that finds
/// another version is refused with <see cref="InconsistentStateException"/>, so a stale second activation of a grain
/// can never overwrite newer state.
/// </para>
/// </summary>
/// <param name="serializer">Orleans' serializer, for the payloads.</param>
/// <param name="jobs">A job's row; deleting it deletes the job's finished executions in the same transaction.</param>
/// <param name="executions">An execution's row, with its attempts' output.</param>
/// <param name="dags">
/// A DAG's row; deleting it deletes the DAG's finished runs and its steps' finished executions in the same transaction.
/// </param>
/// <param name="runs">A DAG run's row.</param>
public abstract class RowGrainStorage(
    IGrainStorageSerializer serializer,
    IStateRows<JobGrainState> jobs,
    IStateRows<ExecutionGrainState> executions,
    IStateRows<DagGrainState> dags,
    IStateRows<DagRunGrainState> runs) : IGrainStorage
{

    protected abstract Task<(byte[] Payload, int Version)?> ReadPayloadAsync(string stateName, GrainId grainId);

    protected abstract Task<bool> WritePayloadAsync(string stateName, GrainId grainId, byte[] payload, int? version);

    protected abstract Task<bool> DeletePayloadAsync(string stateName, GrainId grainId, int version);

    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var found = stateName switch
        {
            StateNames.Job when typeof(T) == typeof(JobGrainState) => await jobs.ReadAsync(Key(grainId)) is { } job ? (job.State, job.Version) : null,
            StateNames.Execution when typeof(T) == typeof(ExecutionGrainState) =>
                await executions.ReadAsync(Key(grainId)) is { } execution ? (execution.State, execution.Version) : null,
            StateNames.Dag when typeof(T) == typeof(DagGrainState) => await dags.ReadAsync(Key(grainId)) is { } dag ? (dag.State, dag.Version) : null,
            StateNames.DagRun when typeof(T) == typeof(DagRunGrainState) => await runs.ReadAsync(Key(grainId)) is { } run ? (run.State, run.Version) : null,
            _ => await ReadPayloadAsync(stateName, grainId) is { } payload
                ? ((object)serializer.Deserialize<T>(new BinaryData(payload.Payload))!, payload.Version)
                : ((object State, int Version)?)null,
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
            JobGrainState job when stateName == StateNames.Job => await jobs.WriteAsync(job, read),
            ExecutionGrainState execution when stateName == StateNames.Execution => await executions.WriteAsync(execution, read),
            DagGrainState dag when stateName == StateNames.Dag => await dags.WriteAsync(dag, read),
            DagRunGrainState run when stateName == StateNames.DagRun => await runs.WriteAsync(run, read),
            _ => await WritePayloadAsync(stateName, grainId, serializer.Serialize(grainState.State).ToArray(), read),
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
                StateNames.Job when typeof(T) == typeof(JobGrainState) => await jobs.DeleteAsync(Key(grainId), version),
                StateNames.Execution when typeof(T) == typeof(ExecutionGrainState) => await executions.DeleteAsync(Key(grainId), version),
                StateNames.Dag when typeof(T) == typeof(DagGrainState) => await dags.DeleteAsync(Key(grainId), version),
                StateNames.DagRun when typeof(T) == typeof(DagRunGrainState) => await runs.DeleteAsync(Key(grainId), version),
                _ => await DeletePayloadAsync(stateName, grainId, version),
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

    private static string Key(GrainId grainId) => grainId.Key.ToString()!;

    private static InconsistentStateException Conflict(string stateName, GrainId grainId, string? etag) =>
        new($"The state of {grainId} ({stateName}) was written by another activation since this one read it.", null, etag);

    private static int ParseVersion(string etag) =>
        int.TryParse(etag, NumberStyles.None, CultureInfo.InvariantCulture, out var version)
            ? version
            : throw new InconsistentStateException($"'{etag}' is not a version this storage wrote.", null, etag);
}
