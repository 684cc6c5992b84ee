using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace JobScheduler.Benchmarks;

/// <summary>
/// What a silo does at rest with the jobs stored so far (run it after <c>scale</c>): for a while nothing is submitted
/// or due, and the server's own work is counted per minute — statements, reminder rows read by the reminder service's
/// refreshes, grain calls, CPU of the benchmark process — and, on PostgreSQL, what the database itself reports (rows
/// returned or fetched and commits, from <c>pg_stat_database</c>). The reminder service re-reads its ranges every
/// 5 minutes, so a rest shorter than that can miss a refresh: the full run rests 6 minutes.
/// </summary>
internal static class RestWorkload
{
    public static async Task<WorkloadResult> RunAsync(Bench bench, StageMetrics stages)
    {
        var seconds = bench.Options.RestSeconds ?? (bench.Options.Quick ? 60 : 360);
        var stats = await bench.Host.Http.GetFromJsonAsync<JsonElement>("/api/stats");
        var jobs = stats.GetProperty("jobs").EnumerateObject().Sum(p => p.Value.GetInt64());
        stages.TakeSnapshot();
        var database = await DatabaseCountersAsync(bench);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds));
        var minutes = clock.Elapsed.TotalMinutes;
        var (_, cost) = stages.TakeSnapshot();
        var cpuPercent = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / clock.Elapsed.TotalMilliseconds * 100;
        var databaseAfter = await DatabaseCountersAsync(bench);
        var rest = new RestResult(
            jobs,
            clock.Elapsed.TotalSeconds,
            cost.WriteStatements / minutes,
            cost.ReadStatements / minutes,
            cost.ReminderRowsRead / minutes,
            cost.GrainCalls / minutes,
            cpuPercent,
            database is { } before && databaseAfter is { } after ? (after.Rows - before.Rows) / minutes : null,
            database is { } b && databaseAfter is { } a ? (a.Commits - b.Commits) / minutes : null);
        return new WorkloadResult("rest", bench.Options.Storage, bench.SubmitName, (int)jobs, 0, null, null, null, null, null, null, null)
        {
            Rest = rest,
            Cost = cost,
        };
    }

    /// <summary>Rows returned plus fetched, and commits, of the benchmark's PostgreSQL database so far (null on other stores).</summary>
    private static async Task<(long Rows, long Commits)?> DatabaseCountersAsync(Bench bench)
    {
        if (bench.Options.Storage != "postgres")
        {
            return null;
        }
        await using var connection = new NpgsqlConnection(bench.Options.Connection);
        await connection.OpenAsync();
        // The statistics collector flushes at most every half second; ask for a fresh snapshot.
        await using (var clear = new NpgsqlCommand("SELECT pg_stat_clear_snapshot()", connection))
        {
            await clear.ExecuteNonQueryAsync();
        }
        await using var command = new NpgsqlCommand(
            "SELECT tup_returned + tup_fetched, xact_commit FROM pg_stat_database WHERE datname = current_database()", connection);
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}

/// <summary>The rest workload: per-minute work of an idle silo holding <see cref="Jobs"/> jobs.</summary>
internal sealed record RestResult(
    long Jobs,
    double Seconds,
    double WriteStatementsPerMinute,
    double ReadStatementsPerMinute,
    double ReminderRowsPerMinute,
    double GrainCallsPerMinute,
    double CpuPercent,
    double? DatabaseRowsPerMinute,
    double? DatabaseCommitsPerMinute);
