using System.Net;
using System.Text.Json;

namespace JobScheduler.Chaos;

/// <summary>What one REST call got: a status (0 when no answer came: refused, reset or timed out) and the JSON body.</summary>
public sealed record ApiAnswer(int Status, JsonElement? Body, string? Error, DateTimeOffset SentAt, DateTimeOffset AnsweredAt)
{
    public bool Ok => Status is >= 200 and < 300;

    /// <summary>An answer that says the request may be retried as it is: none at all, 5xx, 429, or 409 during failover.</summary>
    public bool Transient => Status == 0 || Status >= 500 || Status == (int)HttpStatusCode.TooManyRequests;

    public JsonElement Json => Body ?? throw new InvalidOperationException($"No JSON body (status {Status}, {Error}).");
}
