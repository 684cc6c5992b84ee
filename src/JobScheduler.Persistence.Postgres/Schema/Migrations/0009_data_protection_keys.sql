-- JobScheduler schema 9: the Data Protection key ring that encrypts action secrets (docs/security.md, "Secrets"), one
-- row per XML element Data Protection stores (keys, revocations), read by every silo. Rows are only ever inserted:
-- an expired key still decrypts the secrets it encrypted, and a deleted one loses them. Keys are plain XML here
-- unless JobScheduler:DataProtection:CertificatePath encrypts them.

CREATE TABLE IF NOT EXISTS js_data_protection_keys
(
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    friendly_name text        NOT NULL,
    xml           text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);
