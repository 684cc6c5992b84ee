using Microsoft.Extensions.Options;

namespace JobScheduler.Client;

/// <summary>Adds the configured API key to every call this client makes (<see cref="CallerContextKeys.ApiKey"/>), for the silos to check.</summary>
internal sealed class ApiKeyCallFilter(IOptions<JobSchedulerClientOptions> options) : IOutgoingGrainCallFilter
{
    public async Task Invoke(IOutgoingGrainCallContext context)
    {
        // Set inside this async call, the entry goes with this message and is gone from the caller's context after.
        if (options.Value.ApiKey is { Length: > 0 } key)
        {
            RequestContext.Set(CallerContextKeys.ApiKey, key);
        }
        await context.Invoke();
    }
}
