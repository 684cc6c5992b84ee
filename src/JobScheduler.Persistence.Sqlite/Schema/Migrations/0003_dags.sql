-- DAGs and their runs, stored as jobs and executions are (one row per fact): a DAG's row is its grain's state and
-- what lists read; a run's row is its grain's state and its history entry. A step's executions are ordinary rows of
-- executions whose job_id is '{dagId}:{stepId}'.

CREATE TABLE dags
(
    id           TEXT    NOT NULL PRIMARY KEY,
    owner        TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    -- The DAG's tags as a JSON object; filtered with json_each.
    tags         TEXT    NOT NULL DEFAULT '{}',
    next_fire_at INTEGER NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    -- The DagInfo wire JSON (what lists return).
    document     TEXT    NOT NULL,
    -- The rest of the grain state: plan anchor, unfinished runs, trigger keys, waiting steps of other DAGs.
    runtime      TEXT    NOT NULL,
    version      INTEGER NOT NULL
);

CREATE INDEX dags_owner ON dags (owner, id);
CREATE INDEX dags_state ON dags (state, id);
CREATE INDEX dags_due ON dags (next_fire_at) WHERE state = 'active';

CREATE TABLE dag_runs
(
    id               TEXT    NOT NULL PRIMARY KEY,
    dag_id           TEXT    NOT NULL,
    owner            TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    scheduled_at     INTEGER NOT NULL,
    started_at       INTEGER NOT NULL,
    finished_at      INTEGER NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    -- The DagRunInfo wire JSON, every step's state included.
    document         TEXT    NOT NULL,
    -- The DAG's steps as they were when the run started: written with the row, never updated.
    request          TEXT    NULL,
    version          INTEGER NOT NULL
);

CREATE INDEX dag_runs_dag ON dag_runs (dag_id, scheduled_at DESC, id DESC);
CREATE INDEX dag_runs_unfinished ON dag_runs (scheduled_at) WHERE state = 'running';
CREATE INDEX dag_runs_finished ON dag_runs (finished_at) WHERE finished_at IS NOT NULL;
