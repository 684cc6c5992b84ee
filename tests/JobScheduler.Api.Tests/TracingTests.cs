using System.Diagnostics;
using System.Net;
using System.Text.Json;
using JobScheduler.Grains.Hosting;
using static JobScheduler.Api.Tests.DagBodies;
using static JobScheduler.Api.Tests.DagRest;

namespace JobScheduler.Api.Tests;

/// <summary>
/// One execution is one trace (docs/observability.md): a trigger request's trace continues through the trigger span,
/// the attempt and the action, on to the command's TRACEPARENT and the http action's traceparent header; a DAG run is
/// one trace with a span per step; secrets never become span attributes. The server runs in this process, so an
/// <see cref="ActivityListener"/> sees its spans; each test reads only its own trace.
/// </summary>
public sealed class TracingTests(CommandsEnabledServer server) : IClassFixture<CommandsEnabledServer>, IDisposable
{
    private readonly SpanRecorder _spans = new();

    private HttpClient Http => server.Http;

    [Fact]
    public async Task TriggeredCommand_IsOneTrace_FromTheRequestThroughTheAttemptToTheAction_AndTheCommandGetsTraceparent()
    {
        await PutJobAsync("traced-command", """{"schedule":{"kind":"manual"},"action":{"kind":"command","command":"sh","args":["-c","echo \"$TRACEPARENT\""]}}""");

        var (traceId, executionId) = await TriggerInATraceAsync("traced-command");
        var execution = await server.Sdk.WaitForCompletionAsync(executionId);
        var spans = await _spans.WaitForTraceAsync(traceId, s => s.Any(a => a.OperationName == SchedulerTracing.AttemptSpan));

        Assert.Equal(ExecutionState.Succeeded, execution.State);
        var trigger = Assert.Single(spans, a => a.OperationName == SchedulerTracing.TriggerSpan);
        // The API request's span (ASP.NET Core's, in the server) is the trigger span's ancestor, through Orleans' grain call span.
        Assert.Single(spans, a => a.OperationName == "Microsoft.AspNetCore.Hosting.HttpRequestIn" && IsUnder(trigger, a, spans));
        var attempt = Assert.Single(spans, a => a.OperationName == SchedulerTracing.AttemptSpan);
        var action = Assert.Single(spans, a => a.OperationName == SchedulerTracing.ActionSpan);
        Assert.Equal("traced-command", trigger.GetTagItem(SchedulerTracing.JobIdTag));
        Assert.Equal(executionId, trigger.GetTagItem(SchedulerTracing.ExecutionIdTag));
        Assert.Equal(trigger.SpanId, attempt.ParentSpanId);
        Assert.Equal(attempt.SpanId, action.ParentSpanId);
        Assert.Equal("Succeeded", action.GetTagItem(SchedulerTracing.OutcomeTag));
        Assert.Equal("Command", action.GetTagItem(SchedulerTracing.ActionKindTag));
        // The command's TRACEPARENT names this trace and the action's span.
        Assert.Equal($"00-{traceId}-{action.SpanId}-01", execution.Attempts[0].Output?.Trim());
    }

    [Fact]
    public async Task HttpAction_SendsTraceparentOfItsExecutionsTrace_AndNoSecretBecomesASpanAttribute()
    {
        const string Secret = "s3cr3t-value-for-tracing";
        await using var sink = new LoopbackHttpSink();
        await PutJobAsync("traced-http", $$$"""
            {"schedule":{"kind":"manual"},
             "action":{"kind":"http","method":"GET","url":"{{{sink.Url}}}","secretHeaders":{"X-Api-Key":"{{{Secret}}}"} } }
            """);

        var (traceId, executionId) = await TriggerInATraceAsync("traced-http");
        var execution = await server.Sdk.WaitForCompletionAsync(executionId);
        var head = await sink.FirstRequest.WaitAsync(Patience);
        var spans = await _spans.WaitForTraceAsync(traceId, s => s.Any(a => a.OperationName == SchedulerTracing.AttemptSpan));

        Assert.Equal(ExecutionState.Succeeded, execution.State);
        Assert.Equal(Secret, LoopbackHttpSink.Header(head, "X-Api-Key"));
        var traceparent = LoopbackHttpSink.Header(head, "traceparent");
        Assert.NotNull(traceparent);
        Assert.Equal(traceId, ActivityContext.Parse(traceparent, null).TraceId);
        var action = Assert.Single(spans, a => a.OperationName == SchedulerTracing.ActionSpan);
        // The outgoing request's span (HttpClient's) is the action span's child, and the header names one of this trace's spans.
        Assert.Contains(spans, a => a.ParentSpanId == action.SpanId && a.Kind == ActivityKind.Client);
        Assert.Contains(spans, a => a.SpanId == ActivityContext.Parse(traceparent, null).SpanId);
        Assert.DoesNotContain(spans.SelectMany(a => a.TagObjects), tag => tag.Value?.ToString()?.Contains(Secret, StringComparison.Ordinal) == true);
        Assert.DoesNotContain(spans.SelectMany(a => a.Events).SelectMany(e => e.Tags), tag => tag.Value?.ToString()?.Contains(Secret, StringComparison.Ordinal) == true);
    }

    [Fact]
    public async Task DagRun_IsOneTrace_WithASpanPerStep_AndEachStepsAttemptBelowIt()
    {
        await server.PutDagAsync("traced-dag", Manual(Noop("extract"), Noop("transform", "extract"), Noop("load", "transform")));

        ActivityTraceId traceId;
        string runId;
        using (var root = SpanRecorder.StartRoot("test: trigger a DAG"))
        {
            traceId = root.TraceId;
            runId = await server.TriggerDagAsync("traced-dag");
        }
        var run = await server.WaitForRunAsync(runId);
        var spans = await _spans.WaitForTraceAsync(traceId, s => s.Count(a => a.OperationName == SchedulerTracing.AttemptSpan) >= 3);

        Assert.Equal("succeeded", run.GetProperty("state").GetString());
        var runSpan = Assert.Single(spans, a => a.OperationName == SchedulerTracing.DagRunSpan);
        Assert.Equal(runId, runSpan.GetTagItem(SchedulerTracing.DagRunIdTag));
        var steps = spans.Where(a => a.OperationName == SchedulerTracing.DagStepSpan).ToList();
        Assert.Equal(["extract", "load", "transform"], steps.Select(s => (string)s.GetTagItem(SchedulerTracing.StepIdTag)!).Order());
        Assert.All(steps, step => Assert.Equal(runSpan.SpanId, step.ParentSpanId));
        var attempts = spans.Where(a => a.OperationName == SchedulerTracing.AttemptSpan).ToList();
        Assert.Equal(3, attempts.Count);
        Assert.All(attempts, attempt => Assert.Contains(steps, step => step.SpanId == attempt.ParentSpanId));
    }

    public void Dispose() => _spans.Dispose();

    private async Task PutJobAsync(string id, string body)
    {
        using var response = await Http.SendJsonAsync(HttpMethod.Put, $"/api/jobs/{id}", body);
        Assert.True(response.StatusCode is HttpStatusCode.Created or HttpStatusCode.OK, $"PUT {id}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
    }

    /// <summary>Triggers the job from inside a new root span and returns that span's trace and the execution's id.</summary>
    private async Task<(ActivityTraceId TraceId, string ExecutionId)> TriggerInATraceAsync(string jobId)
    {
        using var root = SpanRecorder.StartRoot($"test: trigger {jobId}");
        using var response = await Http.SendJsonAsync(HttpMethod.Post, $"/api/jobs/{jobId}/trigger", null);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"trigger {jobId}: {(int)response.StatusCode} {body}");
        using var json = JsonDocument.Parse(body);
        return (root.TraceId, json.RootElement.GetProperty("id").GetString()!);
    }

    /// <summary>Whether <paramref name="span"/> descends from <paramref name="ancestor"/> through the recorded spans.</summary>
    private static bool IsUnder(Activity span, Activity ancestor, IReadOnlyList<Activity> spans)
    {
        var parent = span.ParentSpanId;
        for (var depth = 0; depth < 32 && parent != default; depth++)
        {
            if (parent == ancestor.SpanId)
            {
                return true;
            }
            parent = spans.FirstOrDefault(a => a.SpanId == parent)?.ParentSpanId ?? default;
        }
        return false;
    }
}
