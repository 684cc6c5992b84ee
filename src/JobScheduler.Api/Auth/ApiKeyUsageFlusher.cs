using Microsoft.Extensions.Hosting;

namespace JobScheduler.Api.Auth;

/// <summary>Writes API keys' last use once a minute in one batch, and once more at shutdown.</summary>
internal sealed class ApiKeyUsageFlusher(ApiKeys keys, TimeProvider time) : BackgroundService
{
    public static readonly TimeSpan Period = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Period, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                await FlushAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await FlushAsync(cancellationToken);
    }

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await keys.FlushUsageAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Last use is informative: a database hiccup loses at most a minute of it, never a request.
        }
    }
}
