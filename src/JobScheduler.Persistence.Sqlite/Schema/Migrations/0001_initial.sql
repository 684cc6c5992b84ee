-- JobScheduler SQLite schema 1. One row per fact, as in PostgreSQL: a job's row is its grain's state and what lists
-- read; an execution's row is its grain's state and its history entry; each finished attempt's output is stored once
-- beside it. Every grain write is fenced by version. Instants are INTEGER UTC ticks (100 ns since 0001-01-01), so
-- ordering and comparisons are exact; ids compare with BINARY collation (ordinal).

CREATE TABLE jobs
(
    id           TEXT    NOT NULL PRIMARY KEY,
    owner        TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    -- The job's tags as a JSON object; filtered with json_each.
    tags         TEXT    NOT NULL DEFAULT '{}',
    next_fire_at INTEGER NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    -- The JobInfo wire JSON (what lists return).
    document     TEXT    NOT NULL,
    -- The rest of the grain state: plan anchor, unfinished executions, trigger keys, history count.
    runtime      TEXT    NOT NULL,
    version      INTEGER NOT NULL
);

CREATE INDEX jobs_owner ON jobs (owner, id);
CREATE INDEX jobs_state ON jobs (state, id);
CREATE INDEX jobs_due ON jobs (next_fire_at) WHERE state = 'active';

CREATE TABLE executions
(
    id               TEXT    NOT NULL PRIMARY KEY,
    job_id           TEXT    NOT NULL,
    owner            TEXT    NOT NULL,
    scheduled_at     INTEGER NOT NULL,
    state            TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    finished_at      INTEGER NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    -- The ExecutionInfo wire JSON without attempt output.
    document         TEXT    NOT NULL,
    -- The job's definition as it was at the fire: written with the row, never updated.
    request          TEXT    NULL,
    version          INTEGER NOT NULL
);

CREATE INDEX executions_job ON executions (job_id, scheduled_at DESC, id DESC);
CREATE INDEX executions_unfinished ON executions (scheduled_at) WHERE state IN ('pending', 'running', 'retrying');
CREATE INDEX executions_finished ON executions (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE attempt_outputs
(
    execution_id TEXT    NOT NULL REFERENCES executions (id) ON DELETE CASCADE,
    number       INTEGER NOT NULL,
    output       TEXT    NOT NULL,
    PRIMARY KEY (execution_id, number)
) WITHOUT ROWID;

-- Any other grain state (e.g. the node grain's), as an opaque Orleans-serialized payload.
CREATE TABLE grain_state
(
    service_id TEXT    NOT NULL,
    grain_id   TEXT    NOT NULL,
    state_name TEXT    NOT NULL,
    payload    BLOB    NOT NULL,
    version    INTEGER NOT NULL,
    PRIMARY KEY (service_id, grain_id, state_name)
) WITHOUT ROWID;

-- Orleans reminders. GrainHash is the grain's uniform hash (an unsigned 32-bit value, stored as is).
CREATE TABLE reminders
(
    service_id    TEXT    NOT NULL,
    grain_id      TEXT    NOT NULL,
    reminder_name TEXT    NOT NULL,
    start_time    INTEGER NOT NULL,
    period_ms     INTEGER NOT NULL CHECK (period_ms > 0),
    grain_hash    INTEGER NOT NULL,
    version       INTEGER NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
) WITHOUT ROWID;

CREATE INDEX reminders_hash ON reminders (service_id, grain_hash);
