using System.Net;
using System.Text.Json;

namespace JobScheduler.AppHost.Tests;

/// <summary>
/// Reads what the Aspire dashboard received, through its telemetry HTTP API (<c>GET /api/telemetry/resources</c> and
/// <c>/api/telemetry/spans</c>, the latter in OTLP JSON), authenticated with the <c>x-api-key</c> header.
/// </summary>
public sealed class DashboardTelemetry(Uri dashboard, string apiKey) : IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = dashboard, Timeout = TimeSpan.FromSeconds(20), DefaultRequestHeaders = { { "x-api-key", apiKey } } };

    /// <summary>A span as the dashboard holds it: the service that sent it, its trace, and its name.</summary>
    public sealed record Span(string Service, string TraceId, string Name);

    /// <summary>A service that sent the dashboard telemetry, and which kinds it sent.</summary>
    public sealed record Resource(string Name, bool HasLogs, bool HasTraces, bool HasMetrics);

    /// <summary>Every service the dashboard has received telemetry from.</summary>
    public async Task<IReadOnlyList<Resource>> ResourcesAsync()
    {
        using var response = await _http.GetAsync("/api/telemetry/resources");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /api/telemetry/resources → {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        return [.. document.RootElement.EnumerateArray().Select(r => new Resource(
            r.GetProperty("name").GetString()!,
            r.GetProperty("hasLogs").GetBoolean(),
            r.GetProperty("hasTraces").GetBoolean(),
            r.GetProperty("hasMetrics").GetBoolean()))];
    }

    /// <summary>The spans the dashboard holds from <paramref name="resource"/>; none while it has received nothing from it.</summary>
    public async Task<IReadOnlyList<Span>> SpansAsync(string resource)
    {
        using var response = await _http.GetAsync($"/api/telemetry/spans?resource={Uri.EscapeDataString(resource)}&limit=1000");
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            // The dashboard knows no resource of that name until telemetry from it arrives.
            return [];
        }
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET /api/telemetry/spans?resource={resource} → {(int)response.StatusCode}: {text}");
        using var document = JsonDocument.Parse(text);
        var spans = new List<Span>();
        foreach (var resourceSpans in document.RootElement.GetProperty("data").GetProperty("resourceSpans").EnumerateArray())
        {
            var service = ServiceName(resourceSpans);
            foreach (var scope in resourceSpans.GetProperty("scopeSpans").EnumerateArray())
            {
                spans.AddRange(scope.GetProperty("spans").EnumerateArray().Select(s =>
                    new Span(service, s.GetProperty("traceId").GetString()!, s.GetProperty("name").GetString()!)));
            }
        }
        return spans;
    }

    public void Dispose() => _http.Dispose();

    private static string ServiceName(JsonElement resourceSpans) =>
        resourceSpans.TryGetProperty("resource", out var resource) && resource.TryGetProperty("attributes", out var attributes)
            ? attributes.EnumerateArray()
                .Where(a => a.GetProperty("key").GetString() == "service.name")
                .Select(a => a.GetProperty("value").GetProperty("stringValue").GetString())
                .FirstOrDefault() ?? ""
            : "";
}
