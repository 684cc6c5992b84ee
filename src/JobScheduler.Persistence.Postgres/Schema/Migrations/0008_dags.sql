-- JobScheduler schema 8: DAGs and their runs, stored as jobs and executions are (one row per fact). A DAG's row in
-- js_dags is its grain's state and what lists read; a run's row in js_dag_runs is its grain's state and its history
-- entry. A step's executions are ordinary rows of js_executions whose job_id is '{dagId}:{stepId}'.

CREATE TABLE IF NOT EXISTS js_dags
(
    id           text COLLATE "C" NOT NULL PRIMARY KEY,
    owner        text        NOT NULL,
    state        text        NOT NULL,
    tags         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    next_fire_at timestamptz NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    -- The DagInfo wire JSON (what lists return).
    document     jsonb       NOT NULL,
    -- The rest of the grain state: plan anchor, unfinished runs, trigger keys, waiting steps of other DAGs.
    runtime      text        NOT NULL,
    version      integer     NOT NULL
);

CREATE INDEX IF NOT EXISTS js_dags_owner ON js_dags (owner, id);
CREATE INDEX IF NOT EXISTS js_dags_state ON js_dags (state, id);
CREATE INDEX IF NOT EXISTS js_dags_tags ON js_dags USING gin (tags jsonb_path_ops);
CREATE INDEX IF NOT EXISTS js_dags_due ON js_dags (next_fire_at) WHERE state = 'active';

CREATE TABLE IF NOT EXISTS js_dag_runs
(
    id               text COLLATE "C" NOT NULL PRIMARY KEY,
    dag_id           text COLLATE "C" NOT NULL,
    owner            text        NOT NULL,
    state            text        NOT NULL,
    scheduled_at     timestamptz NOT NULL,
    started_at       timestamptz NOT NULL,
    finished_at      timestamptz NULL,
    cancel_requested boolean     NOT NULL DEFAULT false,
    -- The DagRunInfo wire JSON, every step's state included.
    document         jsonb       NOT NULL,
    -- The DAG's steps as they were when the run started: written with the row, never updated.
    request          text        NULL,
    version          integer     NOT NULL
);

CREATE INDEX IF NOT EXISTS js_dag_runs_dag ON js_dag_runs (dag_id, scheduled_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS js_dag_runs_unfinished ON js_dag_runs (scheduled_at) WHERE state = 'running';
CREATE INDEX IF NOT EXISTS js_dag_runs_finished ON js_dag_runs (finished_at) WHERE finished_at IS NOT NULL;

-- A DAG's delete takes its steps' finished executions (job_id LIKE '{dagId}:%'). job_id has the database's collation,
-- so a prefix LIKE needs text_pattern_ops; only step executions (a job's id has no ':') are in the index.
CREATE INDEX IF NOT EXISTS js_executions_dag_steps ON js_executions (job_id text_pattern_ops) WHERE strpos(job_id, ':') > 0;
