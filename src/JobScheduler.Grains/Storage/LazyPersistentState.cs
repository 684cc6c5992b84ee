using Orleans.Storage;

namespace JobScheduler.Grains.Storage;

/// <summary>
/// A grain's persistent state that is read when the grain first needs it, not when it activates (Orleans'
/// <c>[PersistentState]</c> reads before any call is handled). An execution grain is almost always activated to be
/// created: it can try to write its new row at once, and read only if the row turns out to exist, which spares a read
/// per execution.
/// </summary>
internal sealed class LazyPersistentState<TState>(IGrainStorage storage, string stateName, GrainId grainId) : IPersistentState<TState>
    where TState : new()
{
    private readonly GrainState<TState> _state = new(new TState());

    public TState State
    {
        get => _state.State!;
        set => _state.State = value;
    }

    public string? Etag => _state.ETag;

    public bool RecordExists => _state.RecordExists;

    public Task ReadStateAsync() => storage.ReadStateAsync(stateName, grainId, _state);

    public Task ReadStateAsync(CancellationToken cancellationToken) => ReadStateAsync();

    public Task WriteStateAsync() => storage.WriteStateAsync(stateName, grainId, _state);

    public Task WriteStateAsync(CancellationToken cancellationToken) => WriteStateAsync();

    public Task ClearStateAsync() => storage.ClearStateAsync(stateName, grainId, _state);

    public Task ClearStateAsync(CancellationToken cancellationToken) => ClearStateAsync();
}
