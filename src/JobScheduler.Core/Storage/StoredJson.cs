using System.Text.Json;
using System.Text.Json.Serialization;

namespace JobScheduler.Core.Storage;

/// <summary>How stores write JSON documents: the wire conventions, read leniently so that a row written by an older or newer release still loads.</summary>
public static class StoredJson
{
    public static JsonSerializerOptions Options { get; } = new(JobSchedulerJson.Options)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    public static T Deserialize<T>(string json) =>
        JsonSerializer.Deserialize<T>(json, Options) ?? throw new JsonException($"A stored {typeof(T).Name} is null.");
}
