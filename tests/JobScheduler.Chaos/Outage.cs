namespace JobScheduler.Chaos;

/// <summary>One outage the probe saw: from the first request that failed (or took over a second) to the next answer.</summary>
public sealed record Outage(DateTimeOffset From, DateTimeOffset To)
{
    public TimeSpan Length => To - From;
}
