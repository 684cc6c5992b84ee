namespace JobScheduler.Benchmarks;

/// <summary>How jobs are submitted: one SDK call per job, the SDK's batch call, or REST batches over HTTP.</summary>
internal enum SubmitPath
{
    Sdk,
    Batch,
    Rest,
}

/// <summary>Command-line options; see docs/benchmarks.md.</summary>
internal sealed record BenchmarkOptions(bool Quick, string[] Workloads, string Storage, string? Connection, string? JsonPath, SubmitPath Submit, int? RestSeconds = null, string Telemetry = "off")
{
    public static readonly string[] AllWorkloads = ["burst", "spread", "immediate", "sustained", "dag", "scale"];

    /// <summary>Workloads run only when named: <c>rest</c> (after <c>scale</c>: what an idle silo does per minute).</summary>
    public static readonly string[] ExtraWorkloads = ["rest"];

    public static BenchmarkOptions Parse(string[] args)
    {
        var quick = args.Contains("--quick");
        string? Value(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var storage = (Value("--storage") ?? "memory").ToLowerInvariant();
        if (storage is not ("memory" or "sqlite" or "postgres"))
        {
            throw new ArgumentException("--storage is memory, sqlite or postgres.");
        }
        var connection = Value("--connection") ?? Environment.GetEnvironmentVariable("JOBSCHEDULER_BENCH_POSTGRES");
        if (storage == "sqlite")
        {
            // A fresh file per run unless one is named: the figures are for an empty database.
            connection ??= Path.Combine(Path.GetTempPath(), $"jobscheduler-bench-{Guid.NewGuid():n}", "bench.db");
        }
        if (storage == "postgres" && string.IsNullOrEmpty(connection))
        {
            throw new ArgumentException("--storage postgres needs --connection \"Host=…;Database=…\" (an empty database is best).");
        }
        var workloads = (Value("--workload") ?? string.Join(",", AllWorkloads)).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (workloads.FirstOrDefault(w => !AllWorkloads.Contains(w) && !ExtraWorkloads.Contains(w)) is { } unknown)
        {
            throw new ArgumentException($"Unknown workload '{unknown}': {string.Join(", ", AllWorkloads.Concat(ExtraWorkloads))}.");
        }
        var submit = (Value("--submit") ?? "batch").ToLowerInvariant() switch
        {
            "sdk" => SubmitPath.Sdk,
            "batch" => SubmitPath.Batch,
            "rest" => SubmitPath.Rest,
            var other => throw new ArgumentException($"--submit is sdk, batch or rest, not '{other}'."),
        };
        int? restSeconds = Value("--rest-seconds") is { } rest ? int.Parse(rest, System.Globalization.CultureInfo.InvariantCulture) : null;
        var telemetry = (Value("--telemetry") ?? "off").ToLowerInvariant();
        if (telemetry is not ("off" or "otlp"))
        {
            throw new ArgumentException($"--telemetry is off or otlp, not '{telemetry}'.");
        }
        return new BenchmarkOptions(quick, workloads, storage, connection, Value("--json"), submit, restSeconds, telemetry);
    }
}
