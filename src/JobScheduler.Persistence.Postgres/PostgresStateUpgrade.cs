using JobScheduler.Core.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Serialization;
using Orleans.Storage;
using static JobScheduler.Persistence.Postgres.Sql;

namespace JobScheduler.Persistence.Postgres;

/// <summary>
/// Carries jobs and executions of schema 5 forward: their grain state is a binary payload in <c>js_grain_state</c>,
/// which SQL cannot read, so the program reads each one (the stored types keep their schema-5 serialization ids) and
/// writes it as its row of <c>js_jobs</c> or <c>js_executions</c> (outputs beside it), keeping its version so fencing
/// carries on, then removes the payload; a chunk at a time, each in one transaction. Runs at start-up under the
/// migration lock, so one process converts while the others wait; idempotent (a database with nothing left to convert
/// costs one query).
/// </summary>
public sealed partial class PostgresStateUpgrade(IServiceProvider services, ILogger<PostgresStateUpgrade> logger)
{
    private const int Chunk = 500;

    private const string PendingSql = """
        SELECT service_id, grain_id, state_name, payload, version FROM js_grain_state
        WHERE state_name IN ('job', 'execution') ORDER BY state_name, grain_id LIMIT $1
        """;

    private const string UpsertJobSql = """
        INSERT INTO js_jobs AS j (id, owner, state, tags, next_fire_at, created_at, updated_at, document, runtime, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
        ON CONFLICT (id) DO UPDATE SET owner = EXCLUDED.owner, state = EXCLUDED.state, tags = EXCLUDED.tags,
            next_fire_at = EXCLUDED.next_fire_at, created_at = EXCLUDED.created_at, updated_at = EXCLUDED.updated_at,
            document = EXCLUDED.document, runtime = EXCLUDED.runtime, version = EXCLUDED.version
        """;

    private const string UpsertExecutionSql = """
        INSERT INTO js_executions AS e (id, job_id, owner, scheduled_at, state, created_at, finished_at, cancel_requested, document, request, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
        ON CONFLICT (id) DO UPDATE SET job_id = EXCLUDED.job_id, owner = EXCLUDED.owner, scheduled_at = EXCLUDED.scheduled_at,
            state = EXCLUDED.state, created_at = EXCLUDED.created_at, finished_at = EXCLUDED.finished_at,
            cancel_requested = EXCLUDED.cancel_requested, document = EXCLUDED.document, request = EXCLUDED.request,
            version = EXCLUDED.version
        """;

    /// <summary>Converts whatever is left to convert; returns how many states it converted.</summary>
    public async Task<int> RunAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        var serializer = new OrleansGrainStorageSerializer(services.GetRequiredService<Serializer>());
        var converted = 0;
        while (true)
        {
            var rows = await ReadPendingAsync(connection, cancellationToken);
            if (rows.Count == 0)
            {
                break;
            }
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await using var batch = new NpgsqlBatch(connection, transaction);
            foreach (var row in rows)
            {
                foreach (var command in Convert(row, serializer))
                {
                    batch.BatchCommands.Add(command);
                }
                batch.BatchCommands.Add(Command(
                    "DELETE FROM js_grain_state WHERE service_id = $1 AND grain_id = $2 AND state_name = $3",
                    Text(row.ServiceId), Text(row.GrainId), Text(row.StateName)));
            }
            await batch.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            converted += rows.Count;
        }
        if (converted > 0)
        {
            LogConverted(converted);
        }
        return converted;
    }

    private static IEnumerable<NpgsqlBatchCommand> Convert(Pending row, OrleansGrainStorageSerializer serializer)
    {
        var id = GrainId.Parse(row.GrainId).Key.ToString()!;
        if (row.StateName == StateNames.Job)
        {
            var state = serializer.Deserialize<JobGrainState>(new BinaryData(row.Payload)) ?? new JobGrainState();
            if (state.Job is not { State: not JobState.Deleted })
            {
                // Schema 5 kept a deleted job's state for ever; its row went with the delete.
                yield return Command("DELETE FROM js_jobs WHERE id = $1", Text(id));
                yield break;
            }
            var job = JobRow.From(state);
            yield return Command(UpsertJobSql,
                Text(job.Id), Text(job.Owner), Text(job.State), Jsonb(job.Tags), Instant(job.NextFireAt), Instant(job.CreatedAt),
                Instant(job.UpdatedAt), Jsonb(job.Document), Text(job.Runtime), Int(row.Version));
            yield break;
        }
        var execution = serializer.Deserialize<ExecutionGrainState>(new BinaryData(row.Payload)) ?? new ExecutionGrainState();
        if (execution.Info is null)
        {
            yield break;
        }
        var e = ExecutionRow.From(execution);
        yield return Command(UpsertExecutionSql,
            Text(e.Id), Text(e.JobId), Text(e.Owner), Instant(e.ScheduledAt), Text(e.State), Instant(e.CreatedAt),
            Instant(e.FinishedAt), Bool(e.CancelRequested), Jsonb(e.Document), Text(e.Request), Int(row.Version));
        foreach (var output in ExecutionRow.NewOutputs(execution))
        {
            yield return Command(
                "INSERT INTO js_attempt_outputs (execution_id, number, output) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                Text(e.Id), Int(output.Number), Text(output.Output));
        }
    }

    private static async Task<List<Pending>> ReadPendingAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(PendingSql, connection);
        command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = Chunk });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<Pending>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new Pending(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetFieldValue<byte[]>(3), reader.GetInt32(4)));
        }
        return rows;
    }

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private sealed record Pending(string ServiceId, string GrainId, string StateName, byte[] Payload, int Version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Converted {Count} job and execution state(s) of schema 5 into their rows")]
    private partial void LogConverted(int count);
}
