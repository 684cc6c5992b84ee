-- JobScheduler schema 11: the audit trail (docs/security.md, "Audit trail"): who created, changed, deleted, triggered
-- or cancelled what. Rows are only ever appended; they never hold a request body or a secret. Read newest first by
-- (at, id), filtered by actor or resource.

CREATE TABLE IF NOT EXISTS js_audit_log
(
    id       text        NOT NULL PRIMARY KEY,
    at       timestamptz NOT NULL,
    actor    text        NOT NULL,
    action   text        NOT NULL,
    resource text        NOT NULL,
    status   integer     NOT NULL
);

CREATE INDEX IF NOT EXISTS js_audit_log_at ON js_audit_log (at, id COLLATE "C");
CREATE INDEX IF NOT EXISTS js_audit_log_actor ON js_audit_log (actor, at, id COLLATE "C");
CREATE INDEX IF NOT EXISTS js_audit_log_resource ON js_audit_log (resource, at, id COLLATE "C");
