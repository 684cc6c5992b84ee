using System.Text.Json.Serialization;

namespace JobScheduler.Core.Storage;

/// <summary>
/// An execution as stored: one row (<c>js_executions</c> in SQL) that is its grain's state, its history entry and
/// what lists read. Each attempt's output is stored beside it once, when the attempt ends. The alias and ids are those
/// of the grain state of schema 5, so its binary payloads still load for the upgrade.
/// </summary>
[GenerateSerializer, Alias("JobScheduler.ExecutionGrainState")]
public sealed class ExecutionGrainState
{
    [Id(0)] public ExecutionInfo? Info { get; set; }

    /// <summary>The job's definition as it was at the fire (or the trigger's overrides): written once, with the row.</summary>
    [Id(1)] public ExecutionRequest? Request { get; set; }
    [Id(2)] public bool CancelRequested { get; set; }

    // [Id(3)] was a revision for a separate query model (schema 5); the row is the query model now.

    /// <summary>
    /// Attempts whose output is already stored (a store's bookkeeping, kept in memory): a write stores the output of
    /// finished attempts beyond this number, once, and never rewrites it.
    /// </summary>
    [JsonIgnore]
    public int OutputsStored { get => _outputsStored; set => _outputsStored = value; }

    [NonSerialized] private int _outputsStored;
}
