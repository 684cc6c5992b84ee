-- The audit trail (docs/security.md, "Audit trail"): who created, changed, deleted, triggered or cancelled what. Rows
-- are only ever appended; they never hold a request body or a secret. Read newest first by (at, id), filtered by actor
-- or resource. Instants are UTC ticks, as everywhere in this file.

CREATE TABLE audit_log
(
    id       TEXT    NOT NULL PRIMARY KEY,
    at       INTEGER NOT NULL,
    actor    TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    resource TEXT    NOT NULL,
    status   INTEGER NOT NULL
);

CREATE INDEX audit_log_at ON audit_log (at, id);
CREATE INDEX audit_log_actor ON audit_log (actor, at, id);
CREATE INDEX audit_log_resource ON audit_log (resource, at, id);
