using System.Text.Json;

namespace JobScheduler.Api.Tests;

/// <summary>DAG request bodies as a REST user writes them, built from steps so that each test shows only its shape.</summary>
internal static class DagBodies
{
    /// <summary>A manual DAG with these steps (each a JSON object).</summary>
    public static string Manual(params string[] steps) => $$"""{"schedule":{"kind":"manual"},"steps":[{{string.Join(",", steps)}}]}""";

    /// <summary>A step running the built-in <c>noop</c> handler.</summary>
    public static string Noop(string id, params string[] dependsOn) =>
        Step(id, """{"kind":"handler","handler":"noop"}""", dependsOn);

    /// <summary>A step running <c>sh -c <paramref name="script"/></c>.</summary>
    public static string Shell(string id, string script, params string[] dependsOn) =>
        Step(id, $$"""{"kind":"command","command":"sh","args":["-c",{{JsonSerializer.Serialize(script)}}]}""", dependsOn);

    /// <summary>A step with this action JSON.</summary>
    public static string Step(string id, string action, params string[] dependsOn)
    {
        var depends = dependsOn.Length == 0 ? "" : $",\"dependsOn\":{JsonSerializer.Serialize(dependsOn)}";
        return $$"""{"id":{{JsonSerializer.Serialize(id)}},"action":{{action}}{{depends}}}""";
    }

    /// <summary>Adds fields to a step built above, e.g. <c>With(Noop("c", "b"), "\"condition\":\"anyFailed\"")</c>.</summary>
    public static string With(string step, string extra) => step[..^1] + "," + extra + "}";
}
