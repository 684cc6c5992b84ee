using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using JobScheduler.Testing;

namespace JobScheduler.Chaos;

/// <summary>
/// The REST API as the workload and the checker use it: signed in (the workload's operator, or admin), never throwing
/// for a failed call. A call that gets no answer in <see cref="RequestTimeout"/> counts as unanswered.
/// </summary>
public sealed class ChaosApi : IDisposable
{
    public const string Operator = "chaos";

    /// <summary>Longer than Orleans' 30 s response timeout, so that a call stuck on a dead silo shows how long it waits.</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(40);

    private readonly HttpClient _http;

    public ChaosApi(Uri baseAddress) => _http = TestLogin.Client(baseAddress, RequestTimeout);

    public Task<ApiAnswer> GetAsync(string path, string user = Operator) => SendAsync(HttpMethod.Get, path, null, user);

    public async Task<ApiAnswer> SendAsync(HttpMethod method, string path, object? body, string user = Operator, string? idempotencyKey = null)
    {
        var sent = DateTimeOffset.UtcNow;
        try
        {
            using var request = new HttpRequestMessage(method, path);
            request.Options.Set(TestLogin.UserOption, user);
            request.Options.Set(TestLogin.RoleOption, user == TestLogin.Admin ? "admin" : "operator");
            if (body is not null)
            {
                request.Content = body is string json ? new StringContent(json, Encoding.UTF8, "application/json") : JsonContent.Create(body);
            }
            if (idempotencyKey is not null)
            {
                request.Headers.Add("Idempotency-Key", idempotencyKey);
            }
            using var response = await _http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            JsonElement? parsed = null;
            if (text.Length > 0 && text[0] is '{' or '[')
            {
                using var document = JsonDocument.Parse(text);
                parsed = document.RootElement.Clone();
            }
            return new ApiAnswer((int)response.StatusCode, parsed, response.IsSuccessStatusCode ? null : text, sent, DateTimeOffset.UtcNow);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or InvalidOperationException or IOException or JsonException)
        {
            // No answer (or the login behind the call got none).
            return new ApiAnswer(0, null, ex.Message, sent, DateTimeOffset.UtcNow);
        }
    }

    /// <summary>Retries a call until it gets an answer that is not transient, or <paramref name="patience"/> runs out.</summary>
    public async Task<ApiAnswer> PersistAsync(Func<Task<ApiAnswer>> call, TimeSpan patience)
    {
        var deadline = DateTimeOffset.UtcNow + patience;
        while (true)
        {
            var answer = await call();
            if (!answer.Transient || DateTimeOffset.UtcNow > deadline)
            {
                return answer;
            }
            await Task.Delay(500);
        }
    }

    /// <summary>Every item of a paged list (<c>{"items", "next"}</c>), each page asked for until it answers.</summary>
    public async Task<List<JsonElement>> ListAllAsync(string path, string user = Operator)
    {
        var items = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var separator = path.Contains('?') ? '&' : '?';
            var page = await PersistAsync(() => GetAsync($"{path}{separator}limit=500{(cursor is null ? "" : $"&cursor={Uri.EscapeDataString(cursor)}")}", user), TimeSpan.FromSeconds(120));
            if (!page.Ok)
            {
                throw new InvalidOperationException($"GET {path} answered {page.Status}: {page.Error}");
            }
            items.AddRange(page.Json.GetProperty("items").EnumerateArray());
            cursor = page.Json.TryGetProperty("next", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);
        return items;
    }

    public void Dispose() => _http.Dispose();
}
