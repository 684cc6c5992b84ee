-- JobScheduler schema 4: the query model. Ids use the "C" collation so keyset paging orders them by ordinal comparison.
-- Job and execution grains keep these rows in step with their own state
-- (idempotent upserts guarded by a revision that only grows), so lists, filters and counts are plain SQL.

CREATE TABLE IF NOT EXISTS js_jobs
(
    id           text COLLATE "C" NOT NULL PRIMARY KEY,
    owner        text        NOT NULL,
    state        text        NOT NULL,
    tags         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    next_fire_at timestamptz NULL,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    revision     bigint      NOT NULL,
    document     jsonb       NOT NULL
);

CREATE INDEX IF NOT EXISTS js_jobs_owner ON js_jobs (owner, id);
CREATE INDEX IF NOT EXISTS js_jobs_state ON js_jobs (state, id);
CREATE INDEX IF NOT EXISTS js_jobs_tags ON js_jobs USING gin (tags jsonb_path_ops);
CREATE INDEX IF NOT EXISTS js_jobs_due ON js_jobs (next_fire_at) WHERE state = 'active';

CREATE TABLE IF NOT EXISTS js_executions
(
    id           text COLLATE "C" NOT NULL PRIMARY KEY,
    job_id       text        NOT NULL,
    owner        text        NOT NULL,
    scheduled_at timestamptz NOT NULL,
    state        text        NOT NULL,
    created_at   timestamptz NOT NULL,
    finished_at  timestamptz NULL,
    revision     bigint      NOT NULL,
    -- The execution without attempt output (that stays in the execution grain's state).
    document     jsonb       NOT NULL
);

CREATE INDEX IF NOT EXISTS js_executions_job ON js_executions (job_id, scheduled_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS js_executions_job_state ON js_executions (job_id, state, scheduled_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS js_executions_unfinished ON js_executions (scheduled_at)
    WHERE state IN ('pending', 'running', 'retrying');
CREATE INDEX IF NOT EXISTS js_executions_finished ON js_executions (finished_at) WHERE finished_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS js_executions_state ON js_executions (state);
