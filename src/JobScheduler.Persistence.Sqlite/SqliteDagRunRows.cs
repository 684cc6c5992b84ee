using JobScheduler.Core.Storage;
using static JobScheduler.Persistence.Sqlite.SqliteSql;

namespace JobScheduler.Persistence.Sqlite;

/// <summary>A DAG run's state as its row of <c>dag_runs</c>: one statement per write, fenced by <c>version</c>.</summary>
internal sealed class SqliteDagRunRows(SqliteDatabase database) : IStateRows<DagRunGrainState>
{
    private const string InsertSql = """
        INSERT INTO dag_runs (id, dag_id, owner, state, scheduled_at, started_at, finished_at, cancel_requested, document, request, version)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1)
        ON CONFLICT DO NOTHING
        """;

    // The request is the run's snapshot of the DAG: written with the row, never again.
    private const string UpdateSql = """
        UPDATE dag_runs SET state = $4, started_at = $6, finished_at = $7, cancel_requested = $8, document = $9, version = version + 1
        WHERE id = $1 AND version = $10
        """;

    public Task<(DagRunGrainState State, int Version)?> ReadAsync(string id) =>
        database.ReadAsync<(DagRunGrainState, int)?>(connection =>
        {
            using var command = Command(connection, "SELECT document, request, cancel_requested, version FROM dag_runs WHERE id = $1", id);
            using var reader = command.ExecuteReader();
            return reader.Read()
                ? (DagRunRow.ToState(reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.GetBoolean(2)), reader.GetInt32(3))
                : null;
        });

    public async Task<bool> WriteAsync(DagRunGrainState state, int? version)
    {
        var row = DagRunRow.From(state);
        object?[] columns =
        [
            row.Id, row.DagId, row.Owner, row.State, Ticks(row.ScheduledAt), Ticks(row.StartedAt), Ticks(row.FinishedAt),
            row.CancelRequested, row.Document,
        ];
        var written = version is { } read
            ? await database.Writer.ExecuteAsync(UpdateSql, [.. columns, read])
            : await database.Writer.ExecuteAsync(InsertSql, [.. columns, row.Request]);
        return written == 1;
    }

    public async Task<bool> DeleteAsync(string id, int version) =>
        await database.Writer.ExecuteAsync("DELETE FROM dag_runs WHERE id = $1 AND version = $2", id, version) == 1;
}
