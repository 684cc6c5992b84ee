using System.Net.Http.Headers;
using System.Text;
using JobScheduler.Core;

namespace JobScheduler.Grains.Actions;

/// <summary>Runs an <c>http</c> action: 2xx is success; the status and the head of the response body are recorded.</summary>
public sealed class HttpActionRunner(IHttpClientFactory clients)
{
    public const string ClientName = "JobScheduler.HttpAction";
    private const int MaxBodyChars = 4096;

    public async Task<ActionResult> RunAsync(AttemptRequest request, OutputTail output, CancellationToken cancellationToken)
    {
        var action = request.Action;
        using var message = new HttpRequestMessage(new HttpMethod((action.Method ?? "GET").ToUpperInvariant()), action.Url);
        if (action.Body is not null)
        {
            message.Content = new StringContent(action.Body, Encoding.UTF8);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        foreach (var (name, value) in action.Headers ?? [])
        {
            if (!message.Headers.TryAddWithoutValidation(name, value) && message.Content is not null)
            {
                message.Content.Headers.Remove(name);
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }
        message.Headers.TryAddWithoutValidation("X-JobScheduler-Execution", request.ExecutionId);

        var client = clients.CreateClient(ClientName);
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            return new ActionResult(AttemptOutcome.Failed, Error: $"request failed: {ex.Message}");
        }
        using (response)
        {
            var status = (int)response.StatusCode;
            output.AppendLine($"HTTP {status} {response.ReasonPhrase}");
            output.Append(await ReadHeadAsync(response.Content, cancellationToken));
            return response.IsSuccessStatusCode
                ? new ActionResult(AttemptOutcome.Succeeded, HttpStatus: status)
                : new ActionResult(AttemptOutcome.Failed, HttpStatus: status, Error: $"HTTP {status} {response.ReasonPhrase}");
        }
    }

    private static async Task<string> ReadHeadAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var buffer = new char[MaxBodyChars];
        var read = await reader.ReadBlockAsync(buffer.AsMemory(), cancellationToken);
        return new string(buffer, 0, read);
    }
}
