using System.Text.RegularExpressions;
using JobScheduler.Grains.Actions;

namespace JobScheduler.Grains.Tests.Actions;

/// <summary>A command DAG step: its outputs file (<c>JOBSCHEDULER_OUTPUT</c>) and its inputs as environment variables.</summary>
public sealed partial class CommandStepTests : IDisposable
{
    private readonly ActionHost _host = new();

    private static readonly StepInputs ExtractRan = new()
    {
        Upstream = new() { ["extract"] = new() { ["rows"] = "42" } },
        Parameters = new() { ["date"] = "2026-01-15" },
    };

    [GeneratedRegex(@"file=(\S+)")]
    private static partial Regex FileLine();

    private static ActionSpec Sh(string script) => ActionSpec.Run("sh", "-c", script);

    /// <summary>The outputs file's path, which the scripts below print as <c>file=…</c>.</summary>
    private static string OutputFileOf(ActionResult result)
    {
        var match = FileLine().Match(result.Output ?? "");
        Assert.True(match.Success, $"no file= line in: {result.Output}");
        return match.Groups[1].Value;
    }

    [Fact]
    public async Task CommandStep_WritingNameValueLines_PublishesThem()
    {
        var result = await _host.RunAsync(ActionHost.Step("extract", Sh("""echo rows=42 >> "$JOBSCHEDULER_OUTPUT"; printf 'report<<EOF\na\nb\nEOF\n' >> "$JOBSCHEDULER_OUTPUT" """), null));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Equal(new Dictionary<string, string> { ["rows"] = "42", ["report"] = "a\nb" }, result.Outputs);
    }

    [Fact]
    public async Task CommandStep_WritingNothing_PublishesNoOutputs()
    {
        var result = await _host.RunAsync(ActionHost.Step("extract", Sh("true"), null));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Empty(result.Outputs!);
    }

    [Fact]
    public async Task Dependant_SeesUpstreamOutputsAndParameters_AsEnvironmentVariables()
    {
        var result = await _host.RunAsync(ActionHost.Step("transform", Sh("""echo "rows=$JOBSCHEDULER_UPSTREAM_EXTRACT_ROWS date=$JOBSCHEDULER_PARAM_DATE" """), ExtractRan));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Contains("rows=42 date=2026-01-15", result.Output);
    }

    [Fact]
    public async Task Dependant_ActionEnvOfTheSameName_LosesToTheStepsInputs()
    {
        var action = Sh("""echo "date=$JOBSCHEDULER_PARAM_DATE file=$JOBSCHEDULER_OUTPUT" """) with
        {
            Env = new() { ["JOBSCHEDULER_PARAM_DATE"] = "from env", ["JOBSCHEDULER_OUTPUT"] = "/tmp/elsewhere" },
        };

        var result = await _host.RunAsync(ActionHost.Step("transform", action, ExtractRan));

        Assert.Contains("date=2026-01-15", result.Output);
        Assert.NotEqual("/tmp/elsewhere", OutputFileOf(result));
    }

    [Fact]
    public async Task CommandStep_MalformedOutputs_FailTheAttemptWithTheParseError()
    {
        var result = await _host.RunAsync(ActionHost.Step("extract", Sh("""echo 'rows = 42' >> "$JOBSCHEDULER_OUTPUT" """), null));

        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("outputs: line 1:", result.Error);
        Assert.Null(result.Outputs);
    }

    [Fact]
    public async Task CommandStep_UnterminatedHeredoc_FailsTheAttempt()
    {
        var result = await _host.RunAsync(ActionHost.Step("extract", Sh("""printf 'v<<END\nno end\n' >> "$JOBSCHEDULER_OUTPUT" """), null));

        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Contains("not closed by a line 'END'", result.Error);
    }

    [Fact]
    public async Task CommandStep_OutputsOver64KiB_FailTheAttempt()
    {
        var result = await _host.RunAsync(ActionHost.Step("extract", Sh("""printf 'v=%070000d\n' 0 >> "$JOBSCHEDULER_OUTPUT" """), null));

        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Contains("at most 65536", result.Error);
    }

    [Fact]
    public async Task CommandStep_EveryAttempt_StartsWithAnEmptyFileOfItsOwn_DeletedAfterwards()
    {
        const string script = """test ! -s "$JOBSCHEDULER_OUTPUT" || exit 9; echo "file=$JOBSCHEDULER_OUTPUT"; echo rows=1 >> "$JOBSCHEDULER_OUTPUT" """;

        var first = await _host.RunAsync(ActionHost.Step("extract", Sh(script), null, attempt: 1));
        var second = await _host.RunAsync(ActionHost.Step("extract", Sh(script), null, attempt: 2));

        Assert.Equal(AttemptOutcome.Succeeded, first.Outcome);
        Assert.Equal(AttemptOutcome.Succeeded, second.Outcome);
        Assert.NotEqual(OutputFileOf(first), OutputFileOf(second));
        Assert.False(File.Exists(OutputFileOf(first)));
        Assert.False(File.Exists(OutputFileOf(second)));
    }

    [Fact]
    public async Task CommandStep_FailingExit_PublishesNothing_AndDeletesTheFile()
    {
        var result = await _host.RunAsync(ActionHost.Step("extract", Sh("""echo rows=42 >> "$JOBSCHEDULER_OUTPUT"; echo "file=$JOBSCHEDULER_OUTPUT"; exit 3"""), null));

        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Equal(3, result.ExitCode);
        Assert.Null(result.Outputs);
        Assert.False(File.Exists(OutputFileOf(result)));
    }

    [Fact]
    public async Task CommandStep_TimedOut_DeletesTheFile()
    {
        var request = ActionHost.Step("extract", Sh("""echo "file=$JOBSCHEDULER_OUTPUT"; exec sleep 30"""), null, timeout: TimeSpan.FromSeconds(1));

        var result = await _host.RunAsync(request);

        Assert.Equal(AttemptOutcome.TimedOut, result.Outcome);
        Assert.False(File.Exists(OutputFileOf(result)));
    }

    [Fact]
    public async Task JobCommand_GetsNoOutputFileAndNoStepVariables()
    {
        var result = await _host.RunAsync(ActionHost.Job(Sh("env | grep '^JOBSCHEDULER_' | sort")));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Contains("JOBSCHEDULER_JOB_ID=nightly", result.Output);
        Assert.DoesNotContain("JOBSCHEDULER_OUTPUT", result.Output);
        Assert.DoesNotContain("JOBSCHEDULER_UPSTREAM_", result.Output);
        Assert.DoesNotContain("JOBSCHEDULER_PARAM_", result.Output);
        Assert.Null(result.Outputs);
    }

    public void Dispose() => _host.Dispose();
}
