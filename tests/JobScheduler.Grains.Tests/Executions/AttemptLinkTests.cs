using JobScheduler.Grains.Actions;
using JobScheduler.Grains.Executions;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Serialization;

namespace JobScheduler.Grains.Tests.Executions;

/// <summary>What an attempt is sent (to any silo) and what its record keeps of its result: a DAG step's inputs and outputs.</summary>
public sealed class AttemptLinkTests
{
    private static readonly DateTimeOffset At = new(2026, 1, 15, 2, 0, 0, TimeSpan.Zero);

    private static readonly StepInputs Inputs = new()
    {
        Upstream = new() { ["extract"] = new() { ["rows"] = "42" } },
        Parameters = new() { ["date"] = "2026-01-15" },
    };

    private static readonly ExecutionRequest StepRequest = new()
    {
        JobId = "etl:transform",
        ScheduledAt = At,
        Action = ActionSpec.Run("sh", "-c", "true"),
        Timeout = TimeSpan.FromMinutes(5),
        Resources = new ResourceRequest { CpuMillis = 250, MemoryMb = 64 },
        DagRunId = "etl@20260115T020000.0000000Z",
        StepId = "transform",
        Inputs = Inputs,
    };

    private static readonly AttemptInfo Running = new() { Number = 2, Node = "node-a", StartedAt = At };

    [Fact]
    public void RequestFor_DagStep_CarriesItsRunAndInputs()
    {
        var request = AttemptLink.RequestFor(StepRequest, "etl@20260115T020000.0000000Z:transform", Running);

        Assert.Equal(new AttemptRequest("etl:transform", "etl@20260115T020000.0000000Z:transform", 2, At, StepRequest.Action, TimeSpan.FromMinutes(5),
            250, 64, null, "etl@20260115T020000.0000000Z", Inputs), request);
        Assert.True(request.IsDagStep);
        Assert.Same(Inputs, request.DagInputs);
    }

    [Fact]
    public void RequestFor_DagStepWithoutInputs_HasEmptyInputs()
    {
        var request = AttemptLink.RequestFor(StepRequest with { Inputs = null }, "x", Running);

        Assert.True(request.IsDagStep);
        Assert.Empty(request.DagInputs!.Upstream);
        Assert.Empty(request.DagInputs.Parameters);
    }

    [Fact]
    public void RequestFor_Job_IsNoDagStep()
    {
        var request = AttemptLink.RequestFor(StepRequest with { DagRunId = null, StepId = null, Inputs = null }, "x", Running);

        Assert.False(request.IsDagStep);
        Assert.Null(request.DagInputs);
    }

    [Fact]
    public void Finished_SucceededAttempt_KeepsItsOutputs()
    {
        var outputs = new Dictionary<string, string> { ["rows"] = "42" };

        var attempt = AttemptLink.Finished(Running, new ActionResult(AttemptOutcome.Succeeded, ExitCode: 0, Outputs: outputs), At.AddSeconds(3));

        Assert.Equal(AttemptOutcome.Succeeded, attempt.Outcome);
        Assert.Same(outputs, attempt.Outputs);
    }

    [Theory]
    [InlineData(AttemptOutcome.Failed)]
    [InlineData(AttemptOutcome.TimedOut)]
    [InlineData(AttemptOutcome.Cancelled)]
    [InlineData(AttemptOutcome.Lost)]
    public void Finished_AttemptThatDidNotSucceed_PublishesNoOutputs(AttemptOutcome outcome)
    {
        var result = new ActionResult(outcome, Error: "no", Outputs: new() { ["rows"] = "42" });

        Assert.Null(AttemptLink.Finished(Running, result, At.AddSeconds(3)).Outputs);
    }

    [Fact]
    public void AttemptRequestAndResult_CrossSilos_WithInputsAndOutputs()
    {
        using var services = new ServiceCollection().AddSerializer(s => s.AddAssembly(typeof(AttemptRequest).Assembly)).BuildServiceProvider();
        var serializer = services.GetRequiredService<Serializer>();
        var request = AttemptLink.RequestFor(StepRequest, "etl@20260115T020000.0000000Z:transform", Running);
        var result = new ActionResult(AttemptOutcome.Succeeded, ExitCode: 0, Output: "done", Outputs: new() { ["rows"] = "42" });

        var request2 = serializer.Deserialize<AttemptRequest>(serializer.SerializeToArray(request))!;
        var result2 = serializer.Deserialize<ActionResult>(serializer.SerializeToArray(result))!;

        Assert.Equal(request.DagRunId, request2.DagRunId);
        Assert.Equal("42", request2.Inputs!.Upstream["extract"]["rows"]);
        Assert.Equal("2026-01-15", request2.Inputs.Parameters["date"]);
        Assert.Equal(request with { Action = request2.Action, Inputs = request2.Inputs }, request2);
        Assert.Equal(result.Outputs, result2.Outputs);
        Assert.Equal("done", result2.Output);
    }
}
