using System.Text.Json;

namespace JobScheduler.Core.Tests;

public class JobSchedulerJsonTests
{
    private static JsonSerializerOptions Options => JobSchedulerJson.Options;

    private static T Read<T>(string json) => JsonSerializer.Deserialize<T>(json, Options)!;

    private static string Write<T>(T value) => JsonSerializer.Serialize(value, Options);

    // ----- durations -----

    [Theory]
    [InlineData(30, "\"PT30S\"")]
    [InlineData(300, "\"PT5M\"")]
    [InlineData(5400, "\"PT1H30M\"")]
    [InlineData(86400, "\"P1D\"")]
    public void Serialize_TimeSpan_IsIso8601Duration(int seconds, string expected)
    {
        Assert.Equal(expected, Write(TimeSpan.FromSeconds(seconds)));
    }

    [Theory]
    [InlineData("\"PT30S\"", 30_000)]
    [InlineData("\"PT5M\"", 300_000)]
    [InlineData("\"PT0.25S\"", 250)]
    [InlineData("\"P1DT2H\"", 93_600_000)]
    public void Deserialize_Iso8601Duration_IsTimeSpan(string json, int expectedMilliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), Read<TimeSpan>(json));
    }

    [Theory]
    [InlineData(30)]
    [InlineData(0.5)]
    [InlineData(3600)]
    [InlineData(86400 * 3 + 61)]
    public void TimeSpan_RoundTrip_IsUnchanged(double seconds)
    {
        var value = TimeSpan.FromSeconds(seconds);

        Assert.Equal(value, Read<TimeSpan>(Write(value)));
    }

    [Fact]
    public void Serialize_JobSpecTimeout_IsIso8601Duration()
    {
        var json = Write(new JobSpec { Timeout = TimeSpan.FromSeconds(30) });

        Assert.Contains("\"timeout\":\"PT30S\"", json);
    }

    [Fact]
    public void Deserialize_RetryPolicy_ReadsDurations()
    {
        var retry = Read<RetryPolicy>("""{"maxAttempts":3,"initialBackoff":"PT2S","maxBackoff":"PT10M"}""");

        Assert.Equal(3, retry.MaxAttempts);
        Assert.Equal(TimeSpan.FromSeconds(2), retry.InitialBackoff);
        Assert.Equal(TimeSpan.FromMinutes(10), retry.MaxBackoff);
        Assert.Equal(2, retry.Multiplier); // default kept
    }

    [Fact]
    public void Deserialize_InvalidDuration_ThrowsJsonExceptionWithFieldPath()
    {
        var ex = Assert.Throws<JsonException>(() => Read<JobSpec>("""{"timeout":"soon"}"""));

        Assert.Equal("$.timeout", ex.Path);
        Assert.Contains("soon", ex.Message);
    }

    [Fact]
    public void Deserialize_InvalidNestedDuration_ThrowsJsonExceptionWithNestedPath()
    {
        var ex = Assert.Throws<JsonException>(() => Read<JobSpec>("""{"schedule":{"kind":"interval","every":"30 seconds"}}"""));

        Assert.Equal("$.schedule.every", ex.Path);
    }

    [Theory]
    [InlineData("30")]
    [InlineData("\"\"")]
    [InlineData("true")]
    public void Deserialize_DurationNotAString_ThrowsJsonExceptionWithFieldPath(string value)
    {
        var ex = Assert.Throws<JsonException>(() => Read<JobSpec>($$"""{"timeout":{{value}}}"""));

        Assert.Equal("$.timeout", ex.Path);
    }

    [Fact]
    public void Deserialize_NullTimeout_IsNull()
    {
        Assert.Null(Read<JobSpec>("""{"timeout":null}""").Timeout);
    }

    // ----- enums -----

    [Theory]
    [InlineData(MisfirePolicy.FireOnce, "\"fireOnce\"")]
    [InlineData(MisfirePolicy.FireAll, "\"fireAll\"")]
    [InlineData(ConcurrencyPolicy.Forbid, "\"forbid\"")]
    public void Serialize_Enum_IsCamelCaseString(object value, string expected)
    {
        Assert.Equal(expected, JsonSerializer.Serialize(value, value.GetType(), Options));
    }

    [Fact]
    public void Serialize_JobSpecDefaults_WritesEnumsAsCamelCaseStrings()
    {
        var json = Write(new JobSpec { Schedule = ScheduleSpec.Cron("0 * * * *"), Action = ActionSpec.RunHandler("report") });

        Assert.Contains("\"misfire\":\"fireOnce\"", json);
        Assert.Contains("\"concurrency\":\"allow\"", json);
        Assert.Contains("\"kind\":\"cron\"", json);
        Assert.Contains("\"kind\":\"handler\"", json);
    }

    [Fact]
    public void Deserialize_CamelCaseEnums_ReadsThem()
    {
        var spec = Read<JobSpec>("""{"misfire":"fireAll","concurrency":"replace","schedule":{"kind":"manual"}}""");

        Assert.Equal(MisfirePolicy.FireAll, spec.Misfire);
        Assert.Equal(ConcurrencyPolicy.Replace, spec.Concurrency);
        Assert.Equal(ScheduleKind.Manual, spec.Schedule!.Kind);
    }

    [Theory]
    [InlineData("""{"misfire":2}""")]
    [InlineData("""{"misfire":"sometimes"}""")]
    public void Deserialize_EnumAsNumberOrUnknownName_Throws(string json)
    {
        var ex = Assert.Throws<JsonException>(() => Read<JobSpec>(json));

        Assert.Equal("$.misfire", ex.Path);
    }

    // ----- shape -----

    [Fact]
    public void Serialize_JobSpec_UsesCamelCaseAndOmitsNulls()
    {
        var json = Write(new JobSpec { Name = "n", Schedule = ScheduleSpec.Interval(TimeSpan.FromMinutes(1)) });

        Assert.Contains("\"name\":\"n\"", json);
        Assert.Contains("\"every\":\"PT1M\"", json);
        Assert.DoesNotContain("\"action\"", json);
        Assert.DoesNotContain("\"startAt\"", json);
        Assert.DoesNotContain("null", json);
    }

    [Fact]
    public void Deserialize_UnknownTopLevelField_Throws()
    {
        Assert.Throws<JsonException>(() => Read<JobSpec>("""{"nmae":"typo"}"""));
    }

    [Fact]
    public void Deserialize_UnknownNestedField_Throws()
    {
        Assert.Throws<JsonException>(() => Read<JobSpec>("""{"schedule":{"kind":"cron","expresion":"* * * * *"}}"""));
    }

    [Fact]
    public void JobSpec_RoundTrip_IsEqualField_ByField()
    {
        var spec = new JobSpec
        {
            Name = "nightly",
            Schedule = ScheduleSpec.Cron("0 2 * * *", "Europe/London"),
            Action = ActionSpec.HttpRequest("https://example.com/hook", "POST", "{\"x\":1}"),
            Retry = new RetryPolicy { MaxAttempts = 4, InitialBackoff = TimeSpan.FromSeconds(5) },
            Timeout = TimeSpan.FromMinutes(2),
            Priority = 7,
            Concurrency = ConcurrencyPolicy.Forbid,
            Misfire = MisfirePolicy.Skip,
        };

        var back = Read<JobSpec>(Write(spec));

        Assert.Equal(spec.Name, back.Name);
        Assert.Equal(spec.Schedule, back.Schedule);
        Assert.Equal(spec.Action.Url, back.Action!.Url);
        Assert.Equal(spec.Action.Body, back.Action.Body);
        Assert.Equal(spec.Retry, back.Retry);
        Assert.Equal(spec.Timeout, back.Timeout);
        Assert.Equal(spec.Priority, back.Priority);
        Assert.Equal(spec.Concurrency, back.Concurrency);
        Assert.Equal(spec.Misfire, back.Misfire);
    }

    [Fact]
    public void ScheduleSpec_OnceAt_RoundTripsTheInstant()
    {
        var at = new DateTimeOffset(2026, 3, 29, 1, 30, 0, TimeSpan.Zero);

        var back = Read<ScheduleSpec>(Write(ScheduleSpec.OnceAt(at)));

        Assert.Equal(ScheduleKind.Once, back.Kind);
        Assert.Equal(at, back.At);
    }

    // ----- handler payload -----

    [Theory]
    [InlineData("""{"day":"yesterday","limit":10}""")]
    [InlineData("42")]
    [InlineData("3.5")]
    [InlineData("\"text\"")]
    [InlineData("[1,2,3]")]
    [InlineData("true")]
    public void Deserialize_Payload_KeepsAnyJsonValueAsRawText(string payload)
    {
        var action = Read<ActionSpec>($$"""{"kind":"handler","handler":"report","payload":{{payload}}}""");

        Assert.Equal(payload, action.Payload);
    }

    [Fact]
    public void Deserialize_PayloadObjectWithWhitespace_KeepsItsText()
    {
        var action = Read<ActionSpec>("""{"kind":"handler","handler":"report","payload":{ "a" : [ 1, 2 ] }}""");

        Assert.Equal("""{ "a" : [ 1, 2 ] }""", action.Payload);
    }

    [Fact]
    public void Deserialize_PayloadNull_IsNull()
    {
        var action = Read<ActionSpec>("""{"kind":"handler","handler":"report","payload":null}""");

        Assert.Null(action.Payload);
    }

    [Theory]
    [InlineData("""{"day":"yesterday","limit":10}""")]
    [InlineData("42")]
    [InlineData("[1,2,3]")]
    [InlineData("\"text\"")]
    public void Serialize_Payload_WritesJsonValueNotString(string payload)
    {
        var json = Write(new ActionSpec { Kind = ActionKind.Handler, Handler = "report", Payload = payload });

        Assert.Equal($$"""{"kind":"handler","handler":"report","payload":{{payload}}}""", json);
    }

    [Fact]
    public void Payload_ObjectRoundTrip_StaysAnObject()
    {
        const string json = """{"kind":"handler","handler":"report","payload":{"n":1,"nested":{"ok":true}}}""";

        var written = Write(Read<ActionSpec>(json));

        using var document = JsonDocument.Parse(written);
        var payload = document.RootElement.GetProperty("payload");
        Assert.Equal(JsonValueKind.Object, payload.ValueKind);
        Assert.True(payload.GetProperty("nested").GetProperty("ok").GetBoolean());
    }

    [Fact]
    public void RunHandler_ObjectPayload_IsSerializedAsCamelCaseJson()
    {
        var action = ActionSpec.RunHandler("report", new { Day = "yesterday", Limit = 10 });

        Assert.Equal("""{"day":"yesterday","limit":10}""", action.Payload);
    }
}
