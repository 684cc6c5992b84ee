-- JobScheduler schema 6: one row per fact. A job's row in js_jobs is its grain's state (the version fences writes as
-- js_grain_state did), and an execution's row in js_executions is its grain's state and its history: every change is
-- one statement. Attempt output is stored beside the execution, once, when the attempt ends.
-- Jobs and executions of schema 5 keep their grain state in js_grain_state in Orleans' binary form, which SQL cannot
-- read: the server converts those rows into these columns at start-up (under the migration lock), then removes them.

ALTER TABLE js_jobs ADD COLUMN IF NOT EXISTS version integer NOT NULL DEFAULT 0;
-- The grain state besides the wire document: plan anchor, unfinished executions, trigger keys, history count.
ALTER TABLE js_jobs ADD COLUMN IF NOT EXISTS runtime text NOT NULL DEFAULT '{}';
ALTER TABLE js_jobs DROP COLUMN IF EXISTS revision;

ALTER TABLE js_executions ADD COLUMN IF NOT EXISTS version integer NOT NULL DEFAULT 0;
ALTER TABLE js_executions ADD COLUMN IF NOT EXISTS cancel_requested boolean NOT NULL DEFAULT false;
-- The job's definition as it was at the fire: written with the row, never updated.
ALTER TABLE js_executions ADD COLUMN IF NOT EXISTS request text NULL;
ALTER TABLE js_executions DROP COLUMN IF EXISTS revision;

CREATE TABLE IF NOT EXISTS js_attempt_outputs
(
    execution_id text COLLATE "C" NOT NULL REFERENCES js_executions (id) ON DELETE CASCADE,
    number       integer NOT NULL,
    output       text    NOT NULL,
    PRIMARY KEY (execution_id, number)
);
