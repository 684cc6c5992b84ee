using JobScheduler.Core.Actions;

namespace JobScheduler.Core.Tests;

public class JobSpecValidatorTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 15, 10, 0, 0, TimeSpan.Zero);

    private static readonly ActionRules Rules = new()
    {
        CommandsEnabled = true,
        Handlers = ["report", "cleanup"],
    };

    private static readonly JobSpec Valid = new()
    {
        Name = "nightly report",
        Schedule = ScheduleSpec.Cron("0 2 * * *", "Europe/London"),
        Action = ActionSpec.RunHandler("report", new { Day = "yesterday" }),
        Retry = new RetryPolicy { MaxAttempts = 3 },
        Timeout = TimeSpan.FromMinutes(5),
        Priority = 5,
        Tags = new() { ["team"] = "data" },
    };

    private static string[] Fields(JobSpec spec, ActionRules? rules = null) =>
        [.. JobSpecValidator.Validate(spec, rules ?? Rules, Now).Select(e => e.Field)];

    // ----- whole specs -----

    [Fact]
    public void Validate_ValidSpec_HasNoErrors()
    {
        Assert.Empty(JobSpecValidator.Validate(Valid, Rules, Now));
    }

    [Fact]
    public void Validate_MinimalSpec_HasNoErrors()
    {
        var spec = new JobSpec { Schedule = ScheduleSpec.Manual(), Action = ActionSpec.HttpRequest("https://example.com/hook") };

        Assert.Empty(JobSpecValidator.Validate(spec, Rules, Now));
    }

    [Fact]
    public void Validate_MissingScheduleAndAction_NamesBoth()
    {
        Assert.Equal(["schedule", "action"], Fields(new JobSpec()));
    }

    [Fact]
    public void Validate_InvalidSchedule_NamesTheScheduleField()
    {
        Assert.Equal(["schedule.timeZone"], Fields(Valid with { Schedule = ScheduleSpec.Cron("0 2 * * *", "Europe/Atlantis") }));
    }

    [Fact]
    public void Validate_SeveralProblems_ReportsEveryOne()
    {
        var spec = Valid with
        {
            Schedule = ScheduleSpec.Interval(TimeSpan.Zero),
            Action = ActionSpec.RunHandler("unknown"),
            Priority = 10,
            Timeout = TimeSpan.FromSeconds(-1),
        };

        Assert.Equal(["schedule.every", "action.handler", "timeout", "priority"], Fields(spec));
    }

    // ----- command actions -----

    [Fact]
    public void Validate_CommandWhenCommandsDisabled_IsRefusedOnActionKind()
    {
        var rules = Rules with { CommandsEnabled = false };

        var errors = JobSpecValidator.Validate(Valid with { Action = ActionSpec.Run("echo", "hi") }, rules, Now);

        var error = Assert.Single(errors);
        Assert.Equal("action.kind", error.Field);
        Assert.Contains("disabled", error.Message);
    }

    [Fact]
    public void Validate_CommandWhenCommandsEnabled_IsAccepted()
    {
        Assert.Empty(Fields(Valid with { Action = ActionSpec.Run("echo", "hi") }));
    }

    [Fact]
    public void Validate_CommandNotInAllowList_NamesActionCommand()
    {
        var rules = Rules with { AllowedExecutables = ["/usr/bin/backup", "echo"] };

        Assert.Equal(["action.command"], Fields(Valid with { Action = ActionSpec.Run("rm", "-rf", "/") }, rules));
    }

    [Fact]
    public void Validate_CommandInAllowList_IsAccepted()
    {
        var rules = Rules with { AllowedExecutables = ["/usr/bin/backup", "echo"] };

        Assert.Empty(Fields(Valid with { Action = ActionSpec.Run("/usr/bin/backup") }, rules));
    }

    [Theory]
    [InlineData("../../bin/sh")]
    [InlineData("./echo")]
    public void Validate_CommandGivenAsARelativePath_NamesActionCommand(string command)
    {
        var rules = Rules with { AllowedExecutables = ["sh", "echo"] };

        Assert.Equal(["action.command"], Fields(Valid with { Action = ActionSpec.Run(command) }, rules));
        Assert.Equal(["action.command"], Fields(Valid with { Action = ActionSpec.Run(command) }));
    }

    [Fact]
    public void Validate_CommandOnAnAllowListByName_IsAcceptedByItsFullPathToo()
    {
        var rules = Rules with { AllowedExecutables = ["echo"] };
        var echo = CommandExecutable.Resolve("echo").Path!;

        Assert.Empty(Fields(Valid with { Action = ActionSpec.Run(echo, "hi") }, rules));
    }

    [Fact]
    public void Validate_CommandWithoutExecutable_NamesActionCommand()
    {
        Assert.Equal(["action.command"], Fields(Valid with { Action = new ActionSpec { Kind = ActionKind.Command } }));
    }

    // ----- http actions -----

    [Theory]
    [InlineData("/relative/path")]
    [InlineData("example.com/hook")]
    [InlineData("ftp://example.com/file")]
    [InlineData("file:///etc/passwd")]
    public void Validate_HttpUrlNotAbsoluteHttp_NamesActionUrl(string url)
    {
        Assert.Equal(["action.url"], Fields(Valid with { Action = ActionSpec.HttpRequest(url) }));
    }

    [Fact]
    public void Validate_HttpWithoutUrl_NamesActionUrl()
    {
        Assert.Equal(["action.url"], Fields(Valid with { Action = new ActionSpec { Kind = ActionKind.Http } }));
    }

    [Theory]
    [InlineData("https://example.com/hook?x=1")]
    [InlineData("http://8.8.8.8/run")]
    [InlineData("http://internal.example/run")]
    public void Validate_HttpAbsoluteUrl_IsAccepted(string url)
    {
        Assert.Empty(Fields(Valid with { Action = ActionSpec.HttpRequest(url, "post", "{}") }));
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080/run", "127.0.0.0/8")]
    [InlineData("http://169.254.169.254/latest/meta-data/", "169.254.0.0/16")]
    [InlineData("http://2130706433/", "127.0.0.0/8")]
    [InlineData("http://[::ffff:10.0.0.1]/", "10.0.0.0/8")]
    [InlineData("http://[fd00:ec2::254]/", "fc00::/7")]
    [InlineData("http://localhost:8080/run", "127.0.0.0/8")]
    [InlineData("http://localhost./run", "127.0.0.0/8")]
    [InlineData("http://ui.localhost/run", "127.0.0.0/8")]
    public void Validate_HttpToABlockedNetwork_NamesActionUrlAndHowToAllowIt(string url, string network)
    {
        var error = Assert.Single(JobSpecValidator.Validate(Valid with { Action = ActionSpec.HttpRequest(url) }, Rules, Now));

        Assert.Equal("action.url", error.Field);
        Assert.Contains($"({network})", error.Message);
        Assert.Contains("JobScheduler:Actions:Http:AllowedNetworks", error.Message);
    }

    [Fact]
    public void Validate_HttpToAnAllowedNetwork_IsAccepted()
    {
        var rules = Rules with { HttpNetworks = NetworkPolicy.Parse(["127.0.0.0/8"]) };

        Assert.Empty(Fields(Valid with { Action = ActionSpec.HttpRequest("http://127.0.0.1:8080/run") }, rules));
        Assert.Empty(Fields(Valid with { Action = ActionSpec.HttpRequest("http://localhost:8080/run") }, rules));
        Assert.Equal(["action.url"], Fields(Valid with { Action = ActionSpec.HttpRequest("http://169.254.169.254/") }, rules));
    }

    [Fact]
    public void ValidateTriggerOverride_HttpToABlockedNetwork_NamesActionUrl()
    {
        var errors = JobSpecValidator.Validate(new TriggerOptions { Action = ActionSpec.HttpRequest("http://10.0.0.5/") }, Rules);

        Assert.Equal("action.url", Assert.Single(errors).Field);
    }

    [Fact]
    public void Validate_HttpUnknownMethod_NamesActionMethod()
    {
        Assert.Equal(["action.method"], Fields(Valid with { Action = ActionSpec.HttpRequest("https://example.com", "FETCH") }));
    }

    // ----- handler actions -----

    [Fact]
    public void Validate_UnknownHandler_NamesActionHandlerAndListsKnownOnes()
    {
        var errors = JobSpecValidator.Validate(Valid with { Action = ActionSpec.RunHandler("reprot") }, Rules, Now);

        var error = Assert.Single(errors);
        Assert.Equal("action.handler", error.Field);
        Assert.Contains("cleanup, report", error.Message);
    }

    [Fact]
    public void Validate_HandlerWithoutName_NamesActionHandler()
    {
        Assert.Equal(["action.handler"], Fields(Valid with { Action = new ActionSpec { Kind = ActionKind.Handler } }));
    }

    [Fact]
    public void Validate_PayloadNotJson_NamesActionPayload()
    {
        var action = new ActionSpec { Kind = ActionKind.Handler, Handler = "report", Payload = "{not json" };

        Assert.Equal(["action.payload"], Fields(Valid with { Action = action }));
    }

    [Fact]
    public void Validate_PayloadTooLong_NamesActionPayload()
    {
        var rules = Rules with { MaxPayloadLength = 10 };
        var action = new ActionSpec { Kind = ActionKind.Handler, Handler = "report", Payload = "\"0123456789\"" };

        Assert.Equal(["action.payload"], Fields(Valid with { Action = action }, rules));
    }

    [Fact]
    public void Validate_MissingActionKind_NamesActionKind()
    {
        Assert.Equal(["action.kind"], Fields(Valid with { Action = new ActionSpec { Handler = "report" } }));
    }

    // ----- policies and other fields -----

    [Theory]
    [InlineData(-1)]
    [InlineData(10)]
    public void Validate_PriorityOutOfRange_NamesPriority(int priority)
    {
        Assert.Equal(["priority"], Fields(Valid with { Priority = priority }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    public void Validate_PriorityAtBounds_IsAccepted(int priority)
    {
        Assert.Empty(Fields(Valid with { Priority = priority }));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public void Validate_RetryMaxAttemptsOutOfRange_NamesRetryMaxAttempts(int maxAttempts)
    {
        Assert.Equal(["retry.maxAttempts"], Fields(Valid with { Retry = new RetryPolicy { MaxAttempts = maxAttempts } }));
    }

    [Fact]
    public void Validate_RetryBackoffsInconsistent_NamesEachField()
    {
        var retry = new RetryPolicy
        {
            InitialBackoff = TimeSpan.Zero,
            MaxBackoff = TimeSpan.FromSeconds(-1),
            Multiplier = 0.5,
            Jitter = 1.5,
        };

        Assert.Equal(
            ["retry.initialBackoff", "retry.maxBackoff", "retry.multiplier", "retry.jitter"],
            Fields(Valid with { Retry = retry }));
    }

    [Theory]
    [InlineData(-30)]
    [InlineData(0)]
    public void Validate_NonPositiveTimeout_NamesTimeout(int seconds)
    {
        Assert.Equal(["timeout"], Fields(Valid with { Timeout = TimeSpan.FromSeconds(seconds) }));
    }

    [Fact]
    public void Validate_UndefinedPolicies_NameConcurrencyAndMisfire()
    {
        var spec = Valid with { Concurrency = (ConcurrencyPolicy)9, Misfire = (MisfirePolicy)9 };

        Assert.Equal(["concurrency", "misfire"], Fields(spec));
    }

    [Fact]
    public void Validate_NameTooLong_NamesName()
    {
        Assert.Equal(["name"], Fields(Valid with { Name = new string('n', 201) }));
    }

    [Fact]
    public void Validate_NegativeResources_NameEachResourceField()
    {
        var resources = new ResourceRequest { CpuMillis = -1, MemoryMb = -1, Limits = new ResourceLimits { CpuMillis = 0, MemoryMb = -5 } };

        Assert.Equal(
            ["resources.cpuMillis", "resources.memoryMb", "resources.limits.cpuMillis", "resources.limits.memoryMb"],
            Fields(Valid with { Resources = resources }));
    }

    [Fact]
    public void Validate_TagKeyWithColon_NamesThatTag()
    {
        Assert.Equal(["tags.team:x"], Fields(Valid with { Tags = new() { ["team:x"] = "data" } }));
    }

    [Fact]
    public void Validate_TooManyTags_NamesTags()
    {
        var tags = Enumerable.Range(0, JobSpecValidator.MaxTags + 1).ToDictionary(i => $"k{i}", i => "v");

        Assert.Equal(["tags"], Fields(Valid with { Tags = tags }));
    }

    // ----- trigger overrides -----

    [Fact]
    public void Validate_TriggerOptionsWithDisabledCommand_IsRefusedOnActionKind()
    {
        var options = new TriggerOptions { Action = ActionSpec.Run("echo"), Timeout = TimeSpan.FromSeconds(10) };

        var errors = JobSpecValidator.Validate(options, Rules with { CommandsEnabled = false });

        Assert.Equal("action.kind", Assert.Single(errors).Field);
    }

    [Fact]
    public void Validate_EmptyTriggerOptions_HasNoErrors()
    {
        Assert.Empty(JobSpecValidator.Validate(new TriggerOptions(), Rules));
    }

    // ----- ids -----

    [Theory]
    [InlineData("nightly-report")]
    [InlineData("a")]
    [InlineData("Job_2026.01")]
    [InlineData("0day")]
    public void ValidateId_GoodId_HasNoErrors(string id)
    {
        Assert.Empty(JobSpecValidator.ValidateId(id));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-leading-dash")]
    [InlineData(".hidden")]
    [InlineData("has space")]
    [InlineData("slash/inside")]
    [InlineData("colon:inside")]
    [InlineData("ünïcode")]
    public void ValidateId_BadId_NamesId(string? id)
    {
        Assert.Equal("id", Assert.Single(JobSpecValidator.ValidateId(id)).Field);
    }

    [Fact]
    public void ValidateId_LongestAllowed_IsAccepted()
    {
        Assert.Empty(JobSpecValidator.ValidateId(new string('a', JobSpecValidator.MaxIdLength)));
    }

    [Fact]
    public void ValidateId_OneOverLongest_NamesId()
    {
        Assert.Equal("id", Assert.Single(JobSpecValidator.ValidateId(new string('a', JobSpecValidator.MaxIdLength + 1))).Field);
    }

    [Fact]
    public void ValidateId_TrailingNewline_NamesId()
    {
        Assert.Equal("id", Assert.Single(JobSpecValidator.ValidateId("job\n")).Field);
    }

    // ----- input limits: hostile values are refused with the field named, never thrown (issue 11) -----

    [Fact]
    public void Validate_IntervalOfTenThousandYears_NamesEveryInsteadOfThrowing()
    {
        // Regression: "P10000Y" overflowed plannedAt + every in FireSchedule.TryCreate, and PUT /api/jobs answered 500.
        var spec = Valid with { Schedule = new ScheduleSpec { Kind = ScheduleKind.Interval, Every = System.Xml.XmlConvert.ToTimeSpan("P10000Y") } };

        Assert.Equal(["schedule.every"], Fields(spec));
    }

    [Fact]
    public void Validate_OnceAtYearOne_NamesAt()
    {
        // Regression: year 1 was accepted and stored, and arithmetic on it (look-backs, misfire windows) is out of range.
        Assert.Equal(["schedule.at"], Fields(Valid with { Schedule = ScheduleSpec.OnceAt(DateTimeOffset.MinValue) }));
    }

    [Theory]
    [InlineData("1999-12-31T23:59:59Z")]
    [InlineData("9000-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59.9999999Z")]
    public void Validate_InstantOutOfRange_NamesIt(string instant)
    {
        var at = DateTimeOffset.Parse(instant, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Equal(["schedule.at"], Fields(Valid with { Schedule = ScheduleSpec.OnceAt(at) }));
        Assert.Equal(["schedule.startAt"], Fields(Valid with { Schedule = ScheduleSpec.Interval(TimeSpan.FromHours(1), at) }));
    }

    [Fact]
    public void Validate_InstantsAtTheBounds_AreAccepted()
    {
        Assert.Empty(Fields(Valid with { Schedule = ScheduleSpec.OnceAt(InputLimits.EarliestInstant) }));
        Assert.Empty(Fields(Valid with { Schedule = ScheduleSpec.Interval(InputLimits.MaxInterval, InputLimits.LatestInstant.AddTicks(-1)) }));
    }

    [Fact]
    public void Validate_DurationsBeyondTheirBounds_NameEach()
    {
        var spec = Valid with
        {
            Timeout = TimeSpan.FromDays(31),
            Retry = new RetryPolicy { MaxAttempts = 3, InitialBackoff = TimeSpan.FromDays(8), MaxBackoff = TimeSpan.FromDays(3650) },
        };

        Assert.Equal(["retry.initialBackoff", "retry.maxBackoff", "timeout"], Fields(spec).Order());
    }

    [Fact]
    public void Validate_TriggerOverridesBeyondBounds_NameTheField()
    {
        var errors = JobSpecValidator.Validate(new TriggerOptions { Timeout = TimeSpan.MaxValue }, Rules);

        Assert.Equal("timeout", Assert.Single(errors).Field);
    }

    [Fact]
    public void Validate_HeaderInjection_NamesTheHeader()
    {
        var action = ActionSpec.HttpRequest("https://example.com/hook") with
        {
            Headers = new() { ["X-Ok"] = "a\r\nX-Injected: 1", ["Bad Name"] = "v" },
        };

        Assert.Equal(["action.headers.Bad Name", "action.headers.X-Ok"], Fields(Valid with { Action = action }).Order());
    }

    [Fact]
    public void Validate_OversizedAndNulStrings_NameEachField()
    {
        var spec = Valid with
        {
            Name = "a\0b",
            Action = new ActionSpec
            {
                Kind = ActionKind.Command,
                Command = new string('x', InputLimits.MaxCommandLength + 1),
                Args = ["ok", "nul\0"],
                Env = new() { ["A=B"] = "v", ["LONG"] = new string('v', InputLimits.MaxEnvironmentValueLength + 1) },
                WorkingDirectory = "/tmp\n",
            },
            Tags = new() { ["k\u0001"] = "v" },
        };

        Assert.Equal(
            ["action.args[1]", "action.command", "action.env.A=B", "action.env.LONG", "action.workingDirectory", "name", "tags.k\u0001"],
            Fields(spec).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Validate_HttpBodyAndUrlTooLong_NameThem()
    {
        var action = ActionSpec.HttpRequest("https://example.com/" + new string('a', InputLimits.MaxUrlLength), "POST", new string('b', InputLimits.MaxHttpBodyLength + 1));

        Assert.Equal(["action.body", "action.url"], Fields(Valid with { Action = action }).Order());
    }

    [Fact]
    public void Validate_PayloadWithNul_NamesPayload()
    {
        var action = ActionSpec.RunHandler("report") with { Payload = "{\"a\":[\"x\\u0000y\"]}" };

        Assert.Equal(["action.payload"], Fields(Valid with { Action = action }));
    }
}
