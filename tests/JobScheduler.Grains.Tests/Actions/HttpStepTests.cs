namespace JobScheduler.Grains.Tests.Actions;

/// <summary>An http DAG step: its URL, header values and body filled from its inputs.</summary>
public sealed class HttpStepTests : IDisposable
{
    private readonly ActionHost _host = new();

    private static readonly StepInputs Inputs = new()
    {
        Upstream = new() { ["extract"] = new() { ["file"] = "a b/c&d.csv", ["rows"] = "42" } },
        Parameters = new() { ["date"] = "2026-01-15" },
    };

    private static ActionSpec Templated() => ActionSpec.HttpRequest(
        "https://example.test/files/{{upstream.extract.file}}?date={{ params.date }}",
        "POST",
        """{"file": "{{upstream.extract.file}}", "rows": {{upstream.extract.rows}}}""") with
    {
        Headers = new() { ["X-Rows"] = "{{upstream.extract.rows}}", ["X-File"] = "{{upstream.extract.file}}" },
    };

    [Fact]
    public async Task HttpStep_FillsUrlHeadersAndBody_EscapingOnlyTheUrl()
    {
        var result = await _host.RunAsync(ActionHost.Step("load", Templated(), Inputs));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Null(result.Outputs);
        var (request, body) = Assert.Single(_host.Http.Received);
        Assert.Equal("https://example.test/files/a%20b%2Fc%26d.csv?date=2026-01-15", request.RequestUri!.AbsoluteUri);
        Assert.Equal("42", Assert.Single(request.Headers.GetValues("X-Rows")));
        Assert.Equal("a b/c&d.csv", Assert.Single(request.Headers.GetValues("X-File")));
        Assert.Equal("""{"file": "a b/c&d.csv", "rows": 42}""", body);
    }

    [Fact]
    public async Task HttpStep_MissingInputs_BecomeEmpty()
    {
        var result = await _host.RunAsync(ActionHost.Step("load", Templated(), null));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        var (request, body) = Assert.Single(_host.Http.Received);
        Assert.Equal("https://example.test/files/?date=", request.RequestUri!.AbsoluteUri);
        Assert.Equal("""{"file": "", "rows": }""", body);
    }

    [Fact]
    public async Task JobHttp_IsSentAsWritten()
    {
        var result = await _host.RunAsync(ActionHost.Job(Templated()));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        var (request, body) = Assert.Single(_host.Http.Received);
        Assert.Contains("%7B%7Bupstream.extract.file%7D%7D", request.RequestUri!.AbsoluteUri);
        Assert.Equal("{{upstream.extract.rows}}", Assert.Single(request.Headers.GetValues("X-Rows")));
        Assert.Equal("""{"file": "{{upstream.extract.file}}", "rows": {{upstream.extract.rows}}}""", body);
    }

    public void Dispose() => _host.Dispose();
}
