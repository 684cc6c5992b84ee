using System.Data.Common;
using Orleans.Storage;

namespace JobScheduler.Grains.Hosting;

/// <summary>
/// Turns database driver exceptions escaping a grain call into <see cref="StorageUnavailableException"/>: the
/// driver's types cannot be serialized to callers, who would otherwise get an obscure codec error instead of
/// "the database did not answer". That holds for a driver exception anywhere in the chain too: Orleans wraps a
/// storage provider's failure (<c>Error from storage provider … during WriteStateAsync</c>) with the driver's exception
/// inside, and the codec fails on the inner one.
/// </summary>
internal sealed class StorageExceptionFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (Exception ex) when (Translate(ex) is { } unavailable)
        {
            throw unavailable;
        }
    }

    /// <summary>
    /// The exception a caller gets for <paramref name="exception"/>, or null when it passes unchanged: anything without
    /// a database driver exception in its chain, and a fencing refusal (<see cref="InconsistentStateException"/>), which
    /// Orleans must see as it is to deactivate the stale activation.
    /// </summary>
    internal static StorageUnavailableException? Translate(Exception exception)
    {
        if (exception is InconsistentStateException or StorageUnavailableException)
        {
            return null;
        }
        for (var inner = exception; inner is not null; inner = inner.InnerException)
        {
            if (inner is DbException database)
            {
                return new StorageUnavailableException($"The database did not complete the request: {database.Message}");
            }
        }
        return null;
    }
}
