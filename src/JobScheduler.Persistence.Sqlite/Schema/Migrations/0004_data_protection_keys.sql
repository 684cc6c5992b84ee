-- The Data Protection key ring that encrypts action secrets (docs/security.md, "Secrets"): one row per XML element
-- Data Protection stores (keys, revocations). Rows are only ever inserted: an expired key still decrypts the secrets
-- it encrypted, and a deleted one loses them. Keys are plain XML here unless JobScheduler:DataProtection:CertificatePath
-- encrypts them.

CREATE TABLE data_protection_keys
(
    id            INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    friendly_name TEXT    NOT NULL,
    xml           TEXT    NOT NULL,
    -- UTC ticks, as every instant in this file.
    created_at    INTEGER NOT NULL
);
