using System.Net.Sockets;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace JobScheduler.Persistence.Postgres;

/// <summary>
/// Runs before Orleans starts: waits for PostgreSQL (retrying with backoff, saying clearly what fails), then
/// applies or checks the schema. A database that never answers, refuses the credentials, or has a schema newer than
/// this program stops the start with a message saying which.
/// </summary>
internal sealed partial class DatabaseStartup(
    PostgresSchema schema,
    JobSchedulerPostgresOptions options,
    TimeProvider time,
    ILogger<DatabaseStartup> logger) : IHostedService
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var target = Describe(options.ConnectionString);
        var deadline = time.GetUtcNow() + options.StartupTimeout;
        var backoff = TimeSpan.FromMilliseconds(250);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await schema.EnsureAsync(options.ApplySchema, cancellationToken);
                return;
            }
            catch (PostgresException ex) when (ex.SqlState is "28P01" or "28000" or "3D000")
            {
                // Wrong password, no such role or no such database: retrying will not help.
                throw new InvalidOperationException($"PostgreSQL at {target} refused the connection: {ex.MessageText} ({ex.SqlState}). Check ConnectionStrings:Postgres.", ex);
            }
            catch (PostgresException ex) when (ex.SqlState is "P0001")
            {
                // A migration refused the database (see its message): retrying will not help.
                throw new InvalidOperationException($"PostgreSQL at {target}: {ex.MessageText}", ex);
            }
            catch (Exception ex) when (IsTransient(ex) && time.GetUtcNow() + backoff < deadline)
            {
                LogDatabaseUnavailable(target, attempt, ex.Message, backoff);
                await Task.Delay(backoff, time, cancellationToken);
                backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, backoff.Ticks * 2));
            }
            catch (Exception ex) when (IsTransient(ex))
            {
                throw new InvalidOperationException(
                    $"PostgreSQL at {target} did not answer within {options.StartupTimeout} (JobScheduler:Database:StartupTimeout): {ex.Message}", ex);
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private static bool IsTransient(Exception ex) => ex is NpgsqlException { IsTransient: true } or SocketException or TimeoutException
        || ex is PostgresException { SqlState: "57P03" or "57P01" or "53300" };

    /// <summary>host:port/database, never the password.</summary>
    private static string Describe(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        return $"{builder.Host}:{builder.Port}/{builder.Database}";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "PostgreSQL at {Target} is not available (attempt {Attempt}): {Reason}; retrying in {Backoff}")]
    private partial void LogDatabaseUnavailable(string target, int attempt, string reason, TimeSpan backoff);
}
