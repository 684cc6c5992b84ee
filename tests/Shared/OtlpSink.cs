using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace JobScheduler.Testing;

/// <summary>
/// A local OTLP/HTTP receiver on 127.0.0.1 (what the Aspire dashboard's OTLP/HTTP port does, minus the dashboard): it
/// accepts <c>POST /v1/traces</c>, <c>/v1/metrics</c> and <c>/v1/logs</c> in protobuf, counts the requests and bytes of
/// each signal, and answers with an empty (successful) export response. Point a server at it with
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT=</c><see cref="Endpoint"/> and <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c>.
/// </summary>
internal sealed class OtlpSink : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, (long Requests, long Bytes)> _received = new(StringComparer.Ordinal);

    private OtlpSink(WebApplication app) => _app = app;

    public string Endpoint { get; private set; } = "";

    /// <summary>Requests and bytes received per signal (<c>traces</c>, <c>metrics</c>, <c>logs</c>).</summary>
    public IReadOnlyDictionary<string, (long Requests, long Bytes)> Received => _received;

    public static async Task<OtlpSink> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var sink = new OtlpSink(app);
        app.MapPost("/v1/{signal}", async (string signal, HttpRequest request) =>
        {
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            sink._received.AddOrUpdate(signal, (1, body.Length), (_, seen) => (seen.Requests + 1, seen.Bytes + body.Length));
            // An empty Export*ServiceResponse: everything accepted.
            return Results.Bytes([], "application/x-protobuf");
        });
        await app.StartAsync();
        sink.Endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return sink;
    }

    /// <summary>The requests received for <paramref name="signal"/> so far.</summary>
    public long Requests(string signal) => _received.TryGetValue(signal, out var seen) ? seen.Requests : 0;

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
