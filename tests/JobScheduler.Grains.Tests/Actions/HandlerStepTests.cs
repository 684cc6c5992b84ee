namespace JobScheduler.Grains.Tests.Actions;

/// <summary>A handler DAG step: its inputs on the context, and <see cref="JobContext.SetOutput"/> published.</summary>
public sealed class HandlerStepTests : IDisposable
{
    private readonly ActionHost _host = new();

    [Fact]
    public async Task HandlerStep_SeesItsInputs_AndPublishesWhatItSets()
    {
        var inputs = new StepInputs
        {
            Upstream = new() { ["extract"] = new() { ["rows"] = "42" } },
            Parameters = new() { ["date"] = "2026-01-15" },
        };

        var result = await _host.RunAsync(ActionHost.Step("transform", ActionSpec.RunHandler(StepOutputHandler.Name), inputs));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Contains("upstream extract.rows=42", result.Output);
        Assert.Contains("param date=2026-01-15", result.Output);
        Assert.Equal(new Dictionary<string, string> { ["rows"] = "420", ["date"] = "2026-01-15" }, result.Outputs);
    }

    [Fact]
    public async Task HandlerStep_WithoutInputsFromTheRun_SeesEmptyInputs()
    {
        var result = await _host.RunAsync(ActionHost.Step("extract", ActionSpec.RunHandler(StepOutputHandler.Name), null));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Equal(new Dictionary<string, string> { ["rows"] = "0", ["date"] = "none" }, result.Outputs);
    }

    [Fact]
    public async Task HandlerStep_InvalidOutputName_FailsTheAttempt()
    {
        var result = await _host.RunAsync(ActionHost.Step("extract", ActionSpec.RunHandler(StepOutputHandler.Name, new { name = "row-count" }), null));

        Assert.Equal(AttemptOutcome.Failed, result.Outcome);
        Assert.Contains("'row-count' is not a valid output name", result.Error);
        Assert.Null(result.Outputs);
    }

    [Fact]
    public async Task JobHandler_SettingOutputs_PublishesNothing()
    {
        var result = await _host.RunAsync(ActionHost.Job(ActionSpec.RunHandler(StepOutputHandler.Name)));

        Assert.Equal(AttemptOutcome.Succeeded, result.Outcome);
        Assert.Null(result.Outputs);
    }

    public void Dispose() => _host.Dispose();
}
