-- JobScheduler schema 5: grain state written by JobScheduler's own storage provider, which batches the writes of many
-- grains into one commit. One row per grain and state name; every write is fenced by version exactly as in schema 2:
-- an update names the version it read, a first insert succeeds only once, and a second activation of the same grain
-- (possible for a moment during membership changes) is refused instead of overwriting newer state.
-- OrleansStorage (schema 2) is no longer written. Builds before this schema were never released, so its rows are not
-- converted; rather than start with those jobs silently missing, the migration refuses a database that holds any.

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM OrleansStorage WHERE PayloadBinary IS NOT NULL) THEN
        RAISE EXCEPTION 'This database holds grain state written before JobScheduler schema 5 (table OrleansStorage), which this release does not convert. Use an empty database, or the build that wrote it.';
    END IF;
END
$$;

CREATE TABLE IF NOT EXISTS js_grain_state
(
    service_id  text        NOT NULL,
    grain_id    text        NOT NULL,
    state_name  text        NOT NULL,
    payload     bytea       NOT NULL,
    version     integer     NOT NULL,
    modified_on timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, grain_id, state_name)
);
