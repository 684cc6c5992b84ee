-- The whole JobScheduler schema, for DBAs who apply it by hand:
--   psql "host=… dbname=… user=…" -v ON_ERROR_STOP=1 -f src/JobScheduler.Persistence.Postgres/Schema/schema.sql
-- It runs the numbered migrations in order (each is idempotent) and records them, exactly as the server does at
-- start-up. Start the server with JobScheduler:Database:ApplySchema=false to have it only check the version.
\set ON_ERROR_STOP on
BEGIN;
SELECT pg_advisory_xact_lock(7420119);
CREATE TABLE IF NOT EXISTS js_schema_migrations
(
    version    integer     NOT NULL PRIMARY KEY,
    name       text        NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
\ir Migrations/0001_orleans_clustering.sql
\ir Migrations/0002_orleans_grain_state.sql
\ir Migrations/0003_orleans_reminders.sql
\ir Migrations/0004_query_model.sql
\ir Migrations/0005_grain_state.sql
\ir Migrations/0006_one_row_per_fact.sql
\ir Migrations/0007_due_jobs_scanner.sql
\ir Migrations/0008_dags.sql
\ir Migrations/0009_data_protection_keys.sql
\ir Migrations/0010_users.sql
\ir Migrations/0011_audit.sql
INSERT INTO js_schema_migrations (version, name) VALUES
    (1, '0001_orleans_clustering'),
    (2, '0002_orleans_grain_state'),
    (3, '0003_orleans_reminders'),
    (4, '0004_query_model'),
    (5, '0005_grain_state'),
    (6, '0006_one_row_per_fact'),
    (7, '0007_due_jobs_scanner'),
    (8, '0008_dags'),
    (9, '0009_data_protection_keys'),
    (10, '0010_users'),
    (11, '0011_audit')
ON CONFLICT (version) DO NOTHING;
COMMIT;
