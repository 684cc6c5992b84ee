using System.Data.Common;

namespace JobScheduler.Grains.Hosting;

/// <summary>
/// Turns database driver exceptions escaping a grain call into <see cref="StorageUnavailableException"/>: the
/// driver's types cannot be serialized to callers, who would otherwise get an obscure codec error instead of
/// "the database did not answer".
/// </summary>
internal sealed class StorageExceptionFilter : IIncomingGrainCallFilter
{
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        try
        {
            await context.Invoke();
        }
        catch (DbException ex)
        {
            throw new StorageUnavailableException($"The database did not complete the request: {ex.Message}");
        }
    }
}
