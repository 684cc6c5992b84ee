using System.Text.Json;

namespace JobScheduler.Chaos;

/// <summary>
/// What the workload asked for and what the API acknowledged: the checker's record of intent, written to
/// <c>workload.json</c>. It never holds what the scheduler did; that is read back from the system.
/// </summary>
public sealed class WorkloadLedger
{
    public List<JobRecord> Jobs { get; init; } = [];

    public List<JsonElement> Dags { get; init; } = [];

    public List<TriggerRecord> Triggers { get; init; } = [];

    public List<CancelRecord> Cancels { get; init; } = [];

    public List<PauseRecord> Pauses { get; init; } = [];

    /// <summary>Triggers and creations that got no answer at all (never acknowledged; may or may not have happened).</summary>
    public int Unanswered { get; set; }

    /// <summary>Adds to one of the lists; the workload's loops write concurrently.</summary>
    public void Add<T>(List<T> list, T item)
    {
        lock (this)
        {
            list.Add(item);
        }
    }

    public void CountUnanswered()
    {
        lock (this)
        {
            Unanswered++;
        }
    }

    public void Save(string path)
    {
        lock (this)
        {
            File.WriteAllText(path, JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true }));
        }
    }

    public static WorkloadLedger Load(string path) => JsonSerializer.Deserialize<WorkloadLedger>(File.ReadAllText(path))!;
}
