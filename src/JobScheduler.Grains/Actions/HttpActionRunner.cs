using System.Net.Http.Headers;
using System.Text;
using JobScheduler.Core;
using JobScheduler.Core.Dags;

namespace JobScheduler.Grains.Actions;

/// <summary>
/// Runs an <c>http</c> action: 2xx is success; the status and the head of the response body are recorded. A DAG step's
/// URL, header values and body are filled from its inputs first (<see cref="StepTemplate"/>); it publishes no outputs.
/// </summary>
public sealed class HttpActionRunner(IHttpClientFactory clients)
{
    public const string ClientName = "JobScheduler.HttpAction";
    private const int MaxBodyChars = 4096;

    public async Task<ActionResult> RunAsync(AttemptRequest request, OutputTail output, CancellationToken cancellationToken)
    {
        var action = request.Action;
        var inputs = request.DagInputs;
        var url = action.Url;
        if (inputs is not null && url is not null)
        {
            url = StepTemplate.Apply(url, inputs, urlEncode: true);
            if (!Uri.TryCreate(url, UriKind.Absolute, out _))
            {
                return new ActionResult(AttemptOutcome.Failed, Error: $"the URL filled from the step's inputs is not an absolute URL: '{url}'.");
            }
        }
        using var message = new HttpRequestMessage(new HttpMethod((action.Method ?? "GET").ToUpperInvariant()), url);
        if (action.Body is not null)
        {
            message.Content = new StringContent(inputs is null ? action.Body : StepTemplate.Apply(action.Body, inputs, urlEncode: false), Encoding.UTF8);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        foreach (var (name, template) in action.Headers ?? [])
        {
            var value = inputs is null ? template : StepTemplate.Apply(template, inputs, urlEncode: false);
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
