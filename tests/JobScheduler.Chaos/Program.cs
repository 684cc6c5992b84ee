using JobScheduler.Chaos;

// dotnet run -c Release --project tests/JobScheduler.Chaos -- --target postgres --seed 42 --duration 00:05:00
// Exit code: 0 when the checker found no violation, 1 when it found some, 2 when the run itself could not be made.
ChaosOptions options;
try
{
    options = ChaosOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine(ex.Message);
    return 2;
}
var report = await ChaosRun.RunAsync(options);
Console.WriteLine(report);
return report.Violations.Count == 0 ? 0 : 1;
