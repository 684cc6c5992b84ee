namespace JobScheduler.Chaos;

/// <summary>
/// Reads a job through the REST API every 250 ms (a real grain call; the jobs in turn, so their grains sit on different
/// silos), several requests in flight when they hang,
/// and records when the API did not answer well: a failure, or an answer that took longer than a second.
/// </summary>
public sealed class ApiProbe(ChaosApi api, string[] paths)
{
    private static readonly TimeSpan Slow = TimeSpan.FromSeconds(1);
    private readonly List<ApiAnswer> _samples = [];
    private int _next;

    public async Task RunAsync(CancellationToken stop)
    {
        var inFlight = new List<Task>();
        while (!stop.IsCancellationRequested)
        {
            inFlight.RemoveAll(t => t.IsCompleted);
            inFlight.Add(SampleAsync());
            try
            {
                await Task.Delay(250, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }
        await Task.WhenAll(inFlight);
    }

    private async Task SampleAsync()
    {
        var answer = await api.GetAsync(paths[Interlocked.Increment(ref _next) % paths.Length]);
        lock (_samples)
        {
            _samples.Add(answer);
        }
    }

    /// <summary>The outages: each bad sample opens one (or extends the open one) until a good answer arrives.</summary>
    public List<Outage> Outages()
    {
        List<ApiAnswer> samples;
        lock (_samples)
        {
            samples = [.. _samples.OrderBy(s => s.SentAt)];
        }
        var outages = new List<Outage>();
        DateTimeOffset? openedAt = null;
        foreach (var sample in samples)
        {
            var good = sample.Ok && sample.AnsweredAt - sample.SentAt <= Slow;
            if (!good)
            {
                openedAt ??= sample.SentAt;
            }
            else if (openedAt is { } from)
            {
                outages.Add(new Outage(from, sample.AnsweredAt));
                openedAt = null;
            }
        }
        if (openedAt is { } open && samples.Count > 0)
        {
            outages.Add(new Outage(open, samples[^1].AnsweredAt));
        }
        return outages;
    }
}
