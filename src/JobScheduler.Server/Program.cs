using JobScheduler.Server;

try
{
    var app = JobSchedulerServer.Build(args);
    await app.RunAsync();
    return 0;
}
catch (Exception ex) when (ex is InvalidOperationException or Microsoft.Extensions.Options.OptionsValidationException
    or JobScheduler.Persistence.Postgres.SchemaVersionException or IOException)
{
    // Configuration, database and port problems get one clear line (details are in the log above), not a crash dump.
    Console.Error.WriteLine($"JobScheduler could not start: {ex.Message}");
    return 1;
}
