using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml;

namespace JobScheduler;

/// <summary>The JSON shape shared by the REST API and the SDK: camelCase, enums as camelCase strings, ISO-8601 durations.</summary>
public static class JobSchedulerJson
{
    /// <summary>Options for reading and writing JobScheduler JSON. Unknown fields are rejected when reading.</summary>
    public static JsonSerializerOptions Options { get; } = Configure(new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>Applies JobScheduler's JSON conventions to <paramref name="options"/> (used for ASP.NET Core's options).</summary>
    public static JsonSerializerOptions Configure(JsonSerializerOptions options)
    {
        options.PropertyNamingPolicy = JsonNamingPolicy.CamelCase;
        options.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.CamelCase, allowIntegerValues: false));
        options.Converters.Add(new IsoDurationConverter());
        return options;
    }
}

/// <summary>Reads and writes <see cref="TimeSpan"/> as an ISO-8601 duration such as <c>PT30S</c>.</summary>
public sealed class IsoDurationConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
        if (string.IsNullOrEmpty(text))
        {
            throw new JsonException("Expected an ISO-8601 duration string such as \"PT30S\".");
        }
        try
        {
            return XmlConvert.ToTimeSpan(text);
        }
        catch (FormatException)
        {
            throw new JsonException($"'{text}' is not an ISO-8601 duration (e.g. \"PT30S\", \"PT5M\", \"P1D\").");
        }
        catch (OverflowException)
        {
            throw new JsonException($"'{text}' is out of range.");
        }
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue(XmlConvert.ToString(value));
}

/// <summary>Keeps any JSON value as its raw text in a string property, and writes it back unchanged.</summary>
public sealed class RawJsonConverter : JsonConverter<string>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var document = JsonDocument.ParseValue(ref reader);
        return document.RootElement.GetRawText();
    }

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        using var document = JsonDocument.Parse(value);
        document.RootElement.WriteTo(writer);
    }
}
