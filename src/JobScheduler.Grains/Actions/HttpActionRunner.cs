using System.Net;
using System.Net.Http.Headers;
using System.Text;
using JobScheduler.Core;
using JobScheduler.Core.Dags;

namespace JobScheduler.Grains.Actions;

/// <summary>
/// Runs an <c>http</c> action: 2xx is success; the status and the head of the response body are recorded. A DAG step's
/// URL, header values and body are filled from its inputs first (<see cref="StepTemplate"/>); it publishes no outputs.
/// Redirects are followed here, at most <see cref="MaxRedirects"/>, each to an http or https URL; every hop connects
/// through <see cref="HttpActionConnector"/>, which refuses blocked networks. A hop to another origin (scheme, host or
/// port) carries none of the action's own headers, since any of them may hold a credential.
/// </summary>
public sealed class HttpActionRunner(IHttpClientFactory clients)
{
    public const string ClientName = "JobScheduler.HttpAction";

    /// <summary>Redirects followed before the attempt fails.</summary>
    public const int MaxRedirects = 5;

    private const int MaxBodyChars = 4096;

    public async Task<ActionResult> RunAsync(AttemptRequest request, OutputTail output, CancellationToken cancellationToken)
    {
        var action = request.Action;
        var inputs = request.DagInputs;
        var url = action.Url;
        if (inputs is not null && url is not null)
        {
            url = StepTemplate.Apply(url, inputs, urlEncode: true);
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri))
        {
            return new ActionResult(AttemptOutcome.Failed, Error: inputs is null
                ? $"http: '{url}' is not an absolute URL."
                : $"the URL filled from the step's inputs is not an absolute URL: '{url}'.");
        }
        if (!IsHttp(uri))
        {
            return new ActionResult(AttemptOutcome.Failed, Error: $"http: '{uri}' is not an http or https URL.");
        }
        var method = new HttpMethod((action.Method ?? "GET").ToUpperInvariant());
        var body = action.Body is null ? null : inputs is null ? action.Body : StepTemplate.Apply(action.Body, inputs, urlEncode: false);
        var headers = (action.Headers ?? [])
            .Select(h => KeyValuePair.Create(h.Key, inputs is null ? h.Value : StepTemplate.Apply(h.Value, inputs, urlEncode: false)))
            .ToList();

        var client = clients.CreateClient(ClientName);
        for (var redirects = 0; ; redirects++)
        {
            HttpResponseMessage response;
            using (var message = Message(method, uri, body, headers, request.ExecutionId))
            {
                try
                {
                    response = await client.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                }
                catch (HttpRequestException ex)
                {
                    return new ActionResult(AttemptOutcome.Failed, Error: Refusal(ex) ?? $"request failed: {ex.Message}");
                }
                catch (TaskCanceledException ex) when (ex.InnerException is TimeoutException && !cancellationToken.IsCancellationRequested)
                {
                    // The handler's ConnectTimeout: a failed attempt like any other connection failure.
                    return new ActionResult(AttemptOutcome.Failed, Error: $"request failed: {ex.Message}");
                }
            }
            using (response)
            {
                var status = (int)response.StatusCode;
                if (IsRedirect(response.StatusCode) && response.Headers.Location is { } location)
                {
                    var target = new Uri(uri, location);
                    output.AppendLine($"HTTP {status} {response.ReasonPhrase} → {target}");
                    if (!IsHttp(target))
                    {
                        return new ActionResult(AttemptOutcome.Failed, HttpStatus: status, Error: $"http: redirect to '{target}' refused: only http and https URLs are followed.");
                    }
                    if (redirects == MaxRedirects)
                    {
                        return new ActionResult(AttemptOutcome.Failed, HttpStatus: status, Error: $"http: more than {MaxRedirects} redirects; the last led to '{target}'.");
                    }
                    if (Uri.Compare(uri, target, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) != 0)
                    {
                        headers = [];
                    }
                    (method, body) = Redirected(response.StatusCode, method, body);
                    uri = target;
                    continue;
                }
                output.AppendLine($"HTTP {status} {response.ReasonPhrase}");
                output.Append(await ReadHeadAsync(response.Content, cancellationToken));
                return response.IsSuccessStatusCode
                    ? new ActionResult(AttemptOutcome.Succeeded, HttpStatus: status)
                    : new ActionResult(AttemptOutcome.Failed, HttpStatus: status, Error: $"HTTP {status} {response.ReasonPhrase}");
            }
        }
    }

    private static HttpRequestMessage Message(HttpMethod method, Uri uri, string? body, List<KeyValuePair<string, string>> headers, string executionId)
    {
        // HTTP/2 where the server offers it, else 1.1; never HTTP/3, whose QUIC connections bypass the connect callback.
        var message = new HttpRequestMessage(method, uri)
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (body is not null)
        {
            message.Content = new StringContent(body, Encoding.UTF8);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        }
        foreach (var (name, value) in headers)
        {
            if (!message.Headers.TryAddWithoutValidation(name, value) && message.Content is not null)
            {
                message.Content.Headers.Remove(name);
                message.Content.Headers.TryAddWithoutValidation(name, value);
            }
        }
        message.Headers.TryAddWithoutValidation("X-JobScheduler-Execution", executionId);
        return message;
    }

    private static bool IsHttp(Uri uri) => uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps;

    private static bool IsRedirect(HttpStatusCode status) => status is HttpStatusCode.MultipleChoices or HttpStatusCode.MovedPermanently
        or HttpStatusCode.Found or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;

    /// <summary>The method and body of the next hop, as HttpClient would choose them: 303 turns all but HEAD into a GET, 300–302 a POST.</summary>
    private static (HttpMethod Method, string? Body) Redirected(HttpStatusCode status, HttpMethod method, string? body) => status switch
    {
        HttpStatusCode.SeeOther when method != HttpMethod.Get && method != HttpMethod.Head => (HttpMethod.Get, null),
        HttpStatusCode.MultipleChoices or HttpStatusCode.MovedPermanently or HttpStatusCode.Found when method == HttpMethod.Post => (HttpMethod.Get, null),
        _ => (method, body),
    };

    /// <summary>The network policy's refusal, when that is why the request failed.</summary>
    private static string? Refusal(Exception exception)
    {
        for (var inner = exception.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpActionRefusedException refused)
            {
                return refused.Message;
            }
        }
        return null;
    }

    /// <summary>At most <see cref="MaxBodyChars"/> characters from the body's stream; the rest is never read.</summary>
    private static async Task<string> ReadHeadAsync(HttpContent content, CancellationToken cancellationToken)
    {
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var buffer = new char[MaxBodyChars];
        var read = await reader.ReadBlockAsync(buffer.AsMemory(), cancellationToken);
        return new string(buffer, 0, read);
    }
}
