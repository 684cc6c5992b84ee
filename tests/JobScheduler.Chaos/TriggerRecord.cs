namespace JobScheduler.Chaos;

/// <summary>One trigger the workload asked for with an idempotency key, and every execution (or DAG run) id answered for it.</summary>
public sealed record TriggerRecord(string TargetId, string Key, bool Dag, List<string> AnsweredIds, int Attempts, bool Acknowledged);
