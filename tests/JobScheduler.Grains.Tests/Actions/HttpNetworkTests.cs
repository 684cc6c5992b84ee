using System.Net;
using System.Net.Sockets;
using JobScheduler.Grains.Actions;
using JobScheduler.Grains.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Reply = JobScheduler.Grains.Tests.Actions.LoopbackHttpServer.Reply;
using Request = JobScheduler.Grains.Tests.Actions.LoopbackHttpServer.Request;

namespace JobScheduler.Grains.Tests.Actions;

/// <summary>
/// The run-time SSRF check: http actions run through the real handler against a server on 127.0.0.1, with host names
/// answered by <see cref="FakeResolver"/> instead of DNS, so a name can resolve to loopback or a private address here.
/// </summary>
public sealed class HttpNetworkTests : IAsyncLifetime
{
    private const string AllowKey = "allow it with JobScheduler:Actions:Http:AllowedNetworks";

    private readonly LoopbackHttpServer _server;

    public HttpNetworkTests()
    {
        _server = new LoopbackHttpServer(Route);
    }

    private static Reply Route(Request request) => request.Path switch
    {
        "/ok" => new Reply(200, "fine"),
        "/to-metadata" => new Reply(302, Location: "http://169.254.169.254/latest/meta-data/"),
        "/to-intranet" => new Reply(307, Location: "http://intranet.test/admin"),
        "/to-file" => new Reply(302, Location: "file:///etc/passwd"),
        "/same-origin" => new Reply(302, Location: "/hop"),
        "/hop" => new Reply(301, Location: $"http://app.test:{request.Headers["Host"].Split(':')[1]}/landing"),
        "/landing" => new Reply(200, "landed"),
        "/post" => new Reply(303, Location: "/ok"),
        "/huge" => new Reply(200, BodyLength: 8 * 1024 * 1024),
        var loop when loop.StartsWith("/loop/", StringComparison.Ordinal) =>
            new Reply(302, Location: $"/loop/{int.Parse(loop[6..], System.Globalization.CultureInfo.InvariantCulture) + 1}"),
        _ => new Reply(404),
    };

    private string Url(string path, string host = "127.0.0.1") => $"http://{host}:{_server.Port}{path}";

    private static async Task<ActionResult> RunAsync(ActionSpec action, params string[] allowedNetworks)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IHostResolver>(new FakeResolver());
        services.AddJobScheduler(options => options.Actions.Http.AllowedNetworks = [.. allowedNetworks]);
        await using var provider = services.BuildServiceProvider();
        return await provider.GetRequiredService<ActionRunner>().RunAsync(ActionHost.Job(action), CancellationToken.None);
    }

    [Fact]
    public async Task LoopbackLiteral_ByDefault_FailsTheAttemptWithoutConnecting()
    {
        var result = await RunAsync(ActionSpec.HttpRequest(Url("/ok")));

        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Equal($"http: 127.0.0.1 is in a blocked network (127.0.0.0/8); {AllowKey}", result.Error);
        Assert.Empty(_server.Received);
    }

    [Fact]
    public async Task NameResolvingToLoopback_ByDefault_FailsTheAttemptWithoutConnecting()
    {
        var result = await RunAsync(ActionSpec.HttpRequest(Url("/ok", "app.test")));

        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Equal($"http: app.test resolves to 127.0.0.1; 127.0.0.1 is in a blocked network (127.0.0.0/8); {AllowKey}", result.Error);
        Assert.Null(result.HttpStatus);
        Assert.Empty(_server.Received);
    }

    [Fact]
    public async Task NameResolvingToAPublicAndAPrivateAddress_IsRefused_EvenThoughOneIsPublic()
    {
        var result = await RunAsync(ActionSpec.HttpRequest(Url("/ok", "mixed.test")), "127.0.0.0/8");

        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Contains("10.0.0.5 is in a blocked network (10.0.0.0/8)", result.Error);
        Assert.Empty(_server.Received);
    }

    [Fact]
    public async Task AllowedNetwork_LetsTheRequestThrough_ToTheResolvedAddress()
    {
        var result = await RunAsync(ActionSpec.HttpRequest(Url("/ok", "app.test")), "127.0.0.0/8", "::1/128");

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Equal(200, result.HttpStatus);
        Assert.Equal("HTTP 200 OK\nfine", result.Output);
        Assert.Equal($"app.test:{_server.Port}", Assert.Single(_server.Received).Headers["Host"]);
    }

    [Fact]
    public async Task RedirectFromAnAllowedHostToTheMetadataAddress_IsRefused()
    {
        var result = await RunAsync(ActionSpec.HttpRequest(Url("/to-metadata")), "127.0.0.0/8");

        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Equal($"http: 169.254.169.254 is in a blocked network (169.254.0.0/16); {AllowKey}", result.Error);
        Assert.Single(_server.Received);
        Assert.StartsWith("HTTP 302 Found → http://169.254.169.254/latest/meta-data/", result.Output);
    }

    [Fact]
    public async Task RedirectToANameResolvingToAPrivateAddress_IsRefused()
    {
        var result = await RunAsync(ActionSpec.HttpRequest(Url("/to-intranet")), "127.0.0.0/8");

        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Equal($"http: intranet.test resolves to 10.0.0.5; 10.0.0.5 is in a blocked network (10.0.0.0/8); {AllowKey}", result.Error);
    }

    [Fact]
    public async Task RedirectToANonHttpScheme_IsRefused()
    {
        var result = await RunAsync(ActionSpec.HttpRequest(Url("/to-file")), "127.0.0.0/8");

        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Equal("http: redirect to 'file:///etc/passwd' refused: only http and https URLs are followed.", result.Error);
    }

    [Fact]
    public async Task MoreThanFiveRedirects_FailTheAttempt()
    {
        var result = await RunAsync(ActionSpec.HttpRequest(Url("/loop/0")), "127.0.0.0/8");

        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Equal($"http: more than 5 redirects; the last led to '{Url("/loop/6")}'.", result.Error);
        Assert.Equal(6, _server.Received.Count);
    }

    [Fact]
    public async Task Redirect_KeepsTheActionsHeadersWithinTheOrigin_AndDropsThemOnAnotherOrigin()
    {
        var action = ActionSpec.HttpRequest(Url("/same-origin")) with
        {
            Headers = new() { ["Authorization"] = "Bearer s3cret", ["X-Api-Key"] = "k3y" },
        };

        var result = await RunAsync(action, "127.0.0.0/8");

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        var requests = _server.Received.ToArray();
        Assert.Equal(["/same-origin", "/hop", "/landing"], requests.Select(r => r.Path));
        Assert.All(requests[..2], r => Assert.Equal("Bearer s3cret", r.Headers["Authorization"]));
        Assert.All(requests[..2], r => Assert.Equal("k3y", r.Headers["X-Api-Key"]));
        Assert.False(requests[2].Headers.ContainsKey("Authorization"));
        Assert.False(requests[2].Headers.ContainsKey("X-Api-Key"));
        Assert.Equal(ActionHost.Job(action).ExecutionId, requests[2].Headers["X-JobScheduler-Execution"]);
        Assert.Equal($"app.test:{_server.Port}", requests[2].Headers["Host"]);
    }

    [Fact]
    public async Task SeeOtherAfterAPost_IsFollowedWithAGetWithoutTheBody()
    {
        var result = await RunAsync(ActionSpec.HttpRequest(Url("/post"), "POST", """{"a":1}"""), "127.0.0.1/32");

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        var requests = _server.Received.ToArray();
        Assert.Equal(("POST", """{"a":1}"""), (requests[0].Method, requests[0].Body));
        Assert.Equal(("GET", "", "/ok"), (requests[1].Method, requests[1].Body, requests[1].Path));
    }

    [Fact]
    public async Task AHugeBody_RecordsOnlyItsHead()
    {
        var result = await RunAsync(ActionSpec.HttpRequest(Url("/huge")), "127.0.0.0/8");

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Equal("HTTP 200 OK\n" + new string('x', 4096), result.Output);
    }

    [Fact]
    public void TheHandler_UsesNoProxy_FollowsNoRedirect_SharesNoCookies_AndLimitsTheConnect()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddJobScheduler(options => options.Actions.Http.ConnectTimeout = TimeSpan.FromSeconds(7));
        using var provider = services.BuildServiceProvider();

        using var handler = provider.GetRequiredService<HttpActionConnector>().CreateHandler();

        Assert.False(handler.UseProxy);
        Assert.False(handler.AllowAutoRedirect);
        Assert.False(handler.UseCookies);
        Assert.Equal(TimeSpan.FromSeconds(7), handler.ConnectTimeout);
        Assert.NotNull(handler.ConnectCallback);
    }

    [Fact]
    public void AnAllowedNetworkThatIsNoRange_FailsTheOptionsValidation_NamingIt()
    {
        var services = new ServiceCollection();
        services.AddJobScheduler(options => options.Actions.Http.AllowedNetworks = ["127.0.0.0/8", "intranet"]);
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<JobSchedulerOptions>>().Value);

        Assert.Contains("JobScheduler:Actions:Http:AllowedNetworks: 'intranet' is not a CIDR range", error.Message);
    }

    [Fact]
    public async Task TheRequest_AsksForHttp2OrLower_NeverHttp3()
    {
        using var host = new ActionHost();

        await host.RunAsync(ActionHost.Job(ActionSpec.HttpRequest("https://example.test/hook")));

        var (request, _) = Assert.Single(host.Http.Received);
        Assert.Equal(HttpVersion.Version20, request.Version);
        Assert.Equal(HttpVersionPolicy.RequestVersionOrLower, request.VersionPolicy);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    /// <summary><c>app.test</c> is loopback, <c>intranet.test</c> private, <c>mixed.test</c> public and private; nothing else exists.</summary>
    private sealed class FakeResolver : IHostResolver
    {
        public Task<IPAddress[]> ResolveAsync(string host, CancellationToken cancellationToken) => host switch
        {
            "app.test" => Task.FromResult(new[] { IPAddress.Loopback }),
            "intranet.test" => Task.FromResult(new[] { IPAddress.Parse("10.0.0.5") }),
            "mixed.test" => Task.FromResult(new[] { IPAddress.Parse("93.184.216.34"), IPAddress.Parse("10.0.0.5") }),
            _ => Task.FromException<IPAddress[]>(new SocketException((int)SocketError.HostNotFound)),
        };
    }
}
