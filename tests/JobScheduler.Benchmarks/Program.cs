// JobScheduler benchmark: starts the server in this process (in memory, or on PostgreSQL), drives it through the
// .NET SDK over the real gateway (or its REST API), and prints markdown tables (and optionally JSON). See
// docs/benchmarks.md.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using JobScheduler.Benchmarks;

var options = BenchmarkOptions.Parse(args);
Console.WriteLine($"JobScheduler benchmark — {(options.Quick ? "quick" : "full")}, storage {options.Storage}, submit {options.Submit.ToString().ToLowerInvariant()}, workloads {string.Join(",", options.Workloads)}, telemetry {options.Telemetry}");

using var stages = new StageMetrics();
var bench = new Bench(options, DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture), await BenchHost.StartAsync(options));
var results = new List<WorkloadResult>();
try
{
    await Workloads.WarmUpAsync(bench);
    foreach (var workload in options.Workloads)
    {
        stages.TakeSnapshot();
        var result = workload switch
        {
            "burst" => await Workloads.BurstAsync(bench),
            "spread" => await Workloads.SpreadAsync(bench),
            "immediate" => await Workloads.ImmediateAsync(bench),
            "sustained" => await Workloads.SustainedAsync(bench),
            "dag" => await DagWorkload.RunAsync(bench, stages),
            "rest" => await RestWorkload.RunAsync(bench, stages),
            _ => await ScaleWorkload.RunAsync(bench),
        };
        var (stageSummaries, cost) = stages.TakeSnapshot();
        results.Add(result with { Stages = stageSummaries, Cost = result.Cost ?? cost });
        Console.WriteLine($"  {workload} done");
    }
}
finally
{
    await bench.Host.DisposeAsync();
}

Report.Print(results);
if (options.JsonPath is { } path)
{
    var json = new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };
    await File.WriteAllTextAsync(path, JsonSerializer.Serialize(results, json));
    Console.WriteLine($"\nWrote {path}");
}
return 0;
