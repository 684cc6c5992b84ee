using JobScheduler.Core.Dags;

namespace JobScheduler.Core.Tests.Dags;

public class DagSpecValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 10, 0, 0, TimeSpan.Zero);

    private static readonly ActionRules Rules = new() { CommandsEnabled = true, Handlers = ["report"] };

    private static DagStepSpec Step(string id, params string[] dependsOn) => new()
    {
        Id = id,
        Action = ActionSpec.RunHandler("report"),
        DependsOn = dependsOn.Length == 0 ? null : dependsOn,
    };

    private static DagSpec Dag(params DagStepSpec[] steps) => new() { Steps = steps };

    private static IReadOnlyList<FieldError> Errors(DagSpec spec, int maxSteps = DagSpecValidator.DefaultMaxSteps) =>
        DagSpecValidator.Validate(spec, Rules, Now, maxSteps);

    private static string[] Fields(DagSpec spec) => [.. Errors(spec).Select(e => e.Field)];

    private static string CycleMessage(DagSpec spec)
    {
        var error = Assert.Single(Errors(spec));
        Assert.Equal("steps", error.Field);
        return error.Message;
    }

    // ----- whole specs -----

    [Fact]
    public void Validate_FullSpec_HasNoErrors()
    {
        var spec = new DagSpec
        {
            Name = "etl",
            Schedule = ScheduleSpec.Cron("0 2 * * *", "Europe/London"),
            Concurrency = ConcurrencyPolicy.Forbid,
            Tags = new() { ["team"] = "data" },
            Steps =
            [
                Step("extract") with { Retry = new RetryPolicy { MaxAttempts = 3 }, Timeout = TimeSpan.FromMinutes(5), Resources = new ResourceRequest { CpuMillis = 500 } },
                Step("transform", "extract") with { Priority = 9 },
                Step("cleanup", "transform") with { Condition = StepCondition.AnyFailed },
                Step("load", "transform") with
                {
                    ContinueOnFailure = true,
                    WaitFor = new WaitForSpec { Job = "nightly-export", Within = TimeSpan.FromHours(24), Timeout = TimeSpan.FromHours(1) },
                },
            ],
        };

        Assert.Empty(Errors(spec));
    }

    [Fact]
    public void Validate_NoSchedule_IsManualAndValid()
    {
        Assert.Empty(Errors(Dag(Step("only"))));
    }

    [Fact]
    public void Validate_InvalidSchedule_NamesTheScheduleField()
    {
        Assert.Equal(["schedule.timeZone"], Fields(Dag(Step("a")) with { Schedule = ScheduleSpec.Cron("0 2 * * *", "Europe/Atlantis") }));
    }

    [Fact]
    public void Validate_TopLevelProblems_ReportsEveryOne()
    {
        var spec = Dag(Step("a")) with
        {
            Name = new string('n', 201),
            Concurrency = (ConcurrencyPolicy)42,
            Misfire = (MisfirePolicy)42,
            Tags = new() { ["a:b"] = "x" },
        };

        Assert.Equal(["name", "concurrency", "misfire", "tags.a:b"], Fields(spec));
    }

    [Fact]
    public void Validate_NoSteps_IsRefused()
    {
        Assert.Equal(["steps"], Fields(new DagSpec()));
        Assert.Equal(["steps"], Fields(new DagSpec { Steps = [] }));
    }

    [Fact]
    public void Validate_MoreStepsThanTheLimit_NamesTheSetting()
    {
        var error = Assert.Single(Errors(Dag(Step("a"), Step("b"), Step("c")), maxSteps: 2));

        Assert.Equal("steps", error.Field);
        Assert.Contains("at most 2 steps (JobScheduler:MaxDagSteps)", error.Message);
    }

    // ----- step ids -----

    [Theory]
    [InlineData("")]
    [InlineData("-starts-with-dash")]
    [InlineData("has.dot")]
    [InlineData("has space")]
    public void Validate_InvalidStepId_IsRefusedOnTheId(string id)
    {
        Assert.Equal(["steps[1].id"], Fields(Dag(Step("a"), Step(id))));
    }

    [Fact]
    public void Validate_StepIdOf64Characters_IsAcceptedAnd65Refused()
    {
        Assert.Empty(Errors(Dag(Step(new string('s', 64)))));
        Assert.Equal(["steps[0].id"], Fields(Dag(Step(new string('s', 65)))));
    }

    [Fact]
    public void Validate_DuplicateStepId_NamesTheDuplicate()
    {
        var error = Assert.Single(Errors(Dag(Step("a"), Step("b"), Step("a"))));

        Assert.Equal("steps[2].id", error.Field);
        Assert.Contains("'a'", error.Message);
        Assert.Contains("steps[0]", error.Message);
    }

    [Theory]
    [InlineData("build-a", "build_a")]
    [InlineData("Build", "build")]
    public void Validate_StepIdsWithTheSameEnvironmentName_AreRefused(string first, string second)
    {
        var error = Assert.Single(Errors(Dag(Step(first), Step(second))));

        Assert.Equal("steps[1].id", error.Field);
        Assert.Contains($"'{second}' and '{first}'", error.Message);
        Assert.Contains("JOBSCHEDULER_UPSTREAM_", error.Message);
    }

    [Fact]
    public void Validate_NullStep_IsRefused()
    {
        Assert.Equal(["steps[1]"], Fields(Dag(Step("a"), null!)));
    }

    // ----- step bodies -----

    [Fact]
    public void Validate_StepProblems_ArePrefixedWithTheStep()
    {
        var spec = Dag(
            Step("a"),
            new DagStepSpec
            {
                Id = "b",
                Action = ActionSpec.RunHandler("unknown"),
                Retry = new RetryPolicy { MaxAttempts = 0 },
                Timeout = TimeSpan.Zero,
                Priority = 10,
                Resources = new ResourceRequest { MemoryMb = -1 },
                Condition = (StepCondition)7,
            },
            new DagStepSpec { Id = "c" });

        Assert.Equal(
            ["steps[1].action.handler", "steps[1].retry.maxAttempts", "steps[1].timeout", "steps[1].priority", "steps[1].resources.memoryMb", "steps[1].condition", "steps[2].action"],
            Fields(spec));
    }

    [Fact]
    public void Validate_CommandStepWhenCommandsDisabled_IsRefusedOnTheStepsActionKind()
    {
        var spec = Dag(new DagStepSpec { Id = "a", Action = ActionSpec.Run("echo", "hi") });

        var error = Assert.Single(DagSpecValidator.Validate(spec, Rules with { CommandsEnabled = false }, Now, DagSpecValidator.DefaultMaxSteps));

        Assert.Equal("steps[0].action.kind", error.Field);
    }

    // ----- dependsOn -----

    [Fact]
    public void Validate_UnknownDependency_NamesIt()
    {
        var error = Assert.Single(Errors(Dag(Step("a"), Step("b", "a", "x"))));

        Assert.Equal("steps[1].dependsOn[1]", error.Field);
        Assert.Equal("unknown step 'x'.", error.Message);
    }

    [Fact]
    public void Validate_DependencyListedTwice_IsRefused()
    {
        Assert.Equal(["steps[1].dependsOn[1]"], Fields(Dag(Step("a"), Step("b", "a", "a"))));
    }

    [Fact]
    public void Validate_SelfDependency_IsRefusedAsACycleOnTheReference()
    {
        var error = Assert.Single(Errors(Dag(Step("a"), Step("b", "b"))));

        Assert.Equal("steps[1].dependsOn[0]", error.Field);
        Assert.Contains("cycle: b → b", error.Message);
    }

    // ----- cycles -----

    [Fact]
    public void Validate_ThreeStepCycle_NamesItInRunOrder()
    {
        // a runs after c, b after a, c after b.
        var spec = Dag(Step("a", "c"), Step("b", "a"), Step("c", "b"));

        Assert.StartsWith("cycle: a → b → c → a", CycleMessage(spec));
    }

    [Fact]
    public void Validate_CycleBehindOtherSteps_StartsAtItsFirstDeclaredStep()
    {
        var spec = Dag(Step("root"), Step("x", "root", "z"), Step("y", "x"), Step("z", "y"), Step("leaf", "z"));

        Assert.StartsWith("cycle: x → y → z → x", CycleMessage(spec));
    }

    [Fact]
    public void Validate_TwoCycles_ReportsOneTheSameEveryTime()
    {
        var spec = Dag(Step("p", "q"), Step("q", "p"), Step("r", "s"), Step("s", "r"));

        var messages = Enumerable.Range(0, 3).Select(_ => CycleMessage(spec)).Distinct();

        Assert.StartsWith("cycle: p → q → p", Assert.Single(messages));
    }

    [Fact]
    public void Validate_DiamondWithoutCycle_HasNoErrors()
    {
        Assert.Empty(Errors(Dag(Step("a"), Step("b", "a"), Step("c", "a"), Step("d", "b", "c"))));
    }

    [Fact]
    public void Validate_ThousandStepChain_IsValid()
    {
        var steps = Enumerable.Range(0, 1000).Select(i => i == 0 ? Step("s0") : Step($"s{i}", $"s{i - 1}")).ToArray();

        Assert.Empty(Errors(Dag(steps)));
    }

    [Fact]
    public void Validate_ThousandStepChainWithABackEdge_NamesTheWholeCycle()
    {
        var steps = Enumerable.Range(0, 1000).Select(i => Step($"s{i}", i == 0 ? "s999" : $"s{i - 1}")).ToArray();

        var message = CycleMessage(Dag(steps));

        var expected = "cycle: " + string.Join(" → ", Enumerable.Range(0, 1000).Select(i => $"s{i}").Append("s0"));
        Assert.StartsWith(expected, message);
    }

    [Fact]
    public void Validate_CycleWithAnUnknownReference_ReportsOnlyTheReference()
    {
        Assert.Equal(["steps[1].dependsOn[1]"], Fields(Dag(Step("a", "b"), Step("b", "a", "nope"))));
    }

    [Fact]
    public void Validate_CycleAndAnInvalidAction_ReportsBoth()
    {
        var spec = Dag(Step("a", "b"), Step("b", "a") with { Action = ActionSpec.RunHandler("unknown") });

        Assert.Equal(["steps[1].action.handler", "steps"], Fields(spec));
    }

    [Fact]
    public void Validate_HttpStepToABlockedNetwork_NamesTheStepsUrl()
    {
        var spec = Dag(Step("a"), Step("b", "a") with { Action = ActionSpec.HttpRequest("http://169.254.169.254/latest/meta-data/") });

        var error = Assert.Single(Errors(spec));

        Assert.Equal("steps[1].action.url", error.Field);
        Assert.Contains("169.254.0.0/16", error.Message);
    }

    // ----- waitFor -----

    [Fact]
    public void Validate_WaitForNeitherOrBoth_IsRefused()
    {
        Assert.Equal(["steps[0].waitFor"], Fields(Dag(Step("a") with { WaitFor = new WaitForSpec() })));
        Assert.Equal(["steps[0].waitFor"], Fields(Dag(Step("a") with { WaitFor = new WaitForSpec { Job = "j", Dag = "d" } })));
    }

    [Fact]
    public void Validate_WaitForInvalidIds_NamesTheirFields()
    {
        var job = Assert.Single(Errors(Dag(Step("a") with { WaitFor = new WaitForSpec { Job = "bad id" } })));
        var dag = Assert.Single(Errors(Dag(Step("a") with { WaitFor = new WaitForSpec { Dag = "-bad" } })));

        Assert.Equal("steps[0].waitFor.job", job.Field);
        Assert.Contains("not a valid job id", job.Message);
        Assert.Equal("steps[0].waitFor.dag", dag.Field);
        Assert.Contains("not a valid DAG id", dag.Message);
    }

    [Theory]
    [InlineData(0, 1, "steps[0].waitFor.within")]
    [InlineData(367 * 24, 1, "steps[0].waitFor.within")]
    [InlineData(24, 0, "steps[0].waitFor.timeout")]
    [InlineData(24, 31 * 24, "steps[0].waitFor.timeout")]
    public void Validate_WaitForDurationsOutOfRange_AreRefused(int withinHours, int timeoutHours, string field)
    {
        var waitFor = new WaitForSpec { Dag = "upstream", Within = TimeSpan.FromHours(withinHours), Timeout = TimeSpan.FromHours(timeoutHours) };

        Assert.Equal([field], Fields(Dag(Step("a") with { WaitFor = waitFor })));
    }

    [Fact]
    public void Validate_WaitForAtTheLimits_IsAccepted()
    {
        var waitFor = new WaitForSpec { Job = "j", Within = TimeSpan.FromDays(366), Timeout = TimeSpan.FromDays(30) };

        Assert.Empty(Errors(Dag(Step("a") with { WaitFor = waitFor })));
    }

    // ----- ids and trigger options -----

    [Fact]
    public void ValidateId_InvalidDagId_SaysDag()
    {
        Assert.Empty(DagSpecValidator.ValidateId("nightly.etl"));
        var error = Assert.Single(DagSpecValidator.ValidateId("nightly etl"));
        Assert.Equal("id", error.Field);
        Assert.Contains("not a valid DAG id", error.Message);
    }

    [Fact]
    public void ValidateTrigger_ValidParameters_HaveNoErrors()
    {
        Assert.Empty(DagSpecValidator.Validate(new DagTriggerOptions()));
        Assert.Empty(DagSpecValidator.Validate(new DagTriggerOptions { Parameters = new() { ["date"] = "2026-01-15", ["_x1"] = "" } }));
    }

    [Fact]
    public void ValidateTrigger_InvalidNames_AreEachNamed()
    {
        var options = new DagTriggerOptions { Parameters = new() { ["1st"] = "a", ["ok"] = "b", ["with-dash"] = "c" } };

        Assert.Equal(["parameters.1st", "parameters.with-dash"], DagSpecValidator.Validate(options).Select(e => e.Field));
    }

    [Fact]
    public void ValidateTrigger_NamesDifferingOnlyInCase_AreRefused()
    {
        var options = new DagTriggerOptions { Parameters = new() { ["Date"] = "a", ["date"] = "b" } };

        var error = Assert.Single(DagSpecValidator.Validate(options));

        Assert.Equal("parameters.date", error.Field);
        Assert.Contains("JOBSCHEDULER_PARAM_DATE", error.Message);
    }

    [Fact]
    public void ValidateTrigger_TooManyParameters_IsRefused()
    {
        var parameters = Enumerable.Range(0, 65).ToDictionary(i => $"p{i}", _ => "v");

        Assert.Equal(["parameters"], DagSpecValidator.Validate(new DagTriggerOptions { Parameters = parameters }).Select(e => e.Field));
    }

    [Fact]
    public void ValidateTrigger_MoreThan64KiB_IsRefused()
    {
        var fits = new DagTriggerOptions { Parameters = new() { ["big"] = new string('x', 64 * 1024 - 3) } };
        var over = new DagTriggerOptions { Parameters = new() { ["big"] = new string('x', 64 * 1024 - 2) } };

        Assert.Empty(DagSpecValidator.Validate(fits));
        Assert.Equal(["parameters"], DagSpecValidator.Validate(over).Select(e => e.Field));
    }
}
