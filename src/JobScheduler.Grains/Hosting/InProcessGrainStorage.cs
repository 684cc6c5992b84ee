using System.Collections.Concurrent;
using System.Globalization;
using Orleans.Storage;

namespace JobScheduler.Grains.Hosting;

/// <summary>
/// Grain state in this process's memory, for the embedded default (one silo; nothing survives a restart). Unlike
/// Orleans' memory storage, which funnels every read and write through a handful of storage grains, a write here is
/// a dictionary update on the caller's thread. States are stored serialized (so a grain never shares objects with
/// the store) and fenced by version exactly like the durable store: a stale second activation is refused with
/// <see cref="InconsistentStateException"/>.
/// </summary>
public sealed class InProcessGrainStorage(IGrainStorageSerializer serializer) : IGrainStorage
{
    private readonly ConcurrentDictionary<(string State, GrainId Grain), Stored> _states = new();

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (_states.TryGetValue((stateName, grainId), out var stored))
        {
            grainState.State = serializer.Deserialize<T>(stored.Payload);
            grainState.ETag = stored.Version.ToString(CultureInfo.InvariantCulture);
            grainState.RecordExists = true;
        }
        else
        {
            grainState.State = Activator.CreateInstance<T>();
            grainState.ETag = null;
            grainState.RecordExists = false;
        }
        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = (stateName, grainId);
        var payload = serializer.Serialize(grainState.State);
        Stored written;
        if (grainState.ETag is null)
        {
            written = new Stored(payload, 1);
            if (!_states.TryAdd(key, written))
            {
                throw Conflict(stateName, grainId, grainState.ETag);
            }
        }
        else
        {
            var read = int.Parse(grainState.ETag, CultureInfo.InvariantCulture);
            if (!_states.TryGetValue(key, out var current) || current.Version != read
                || !_states.TryUpdate(key, written = new Stored(payload, read + 1), current))
            {
                throw Conflict(stateName, grainId, grainState.ETag);
            }
        }
        grainState.ETag = written.Version.ToString(CultureInfo.InvariantCulture);
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (grainState.ETag is not null)
        {
            var key = (stateName, grainId);
            var read = int.Parse(grainState.ETag, CultureInfo.InvariantCulture);
            if (!_states.TryGetValue(key, out var current) || current.Version != read
                || !_states.TryRemove(new KeyValuePair<(string, GrainId), Stored>(key, current)))
            {
                throw Conflict(stateName, grainId, grainState.ETag);
            }
        }
        grainState.State = Activator.CreateInstance<T>();
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private static InconsistentStateException Conflict(string stateName, GrainId grainId, string? etag) =>
        new($"The state of {grainId} ({stateName}) was written by another activation since this one read it.", null, etag);

    private sealed record Stored(BinaryData Payload, int Version);
}
