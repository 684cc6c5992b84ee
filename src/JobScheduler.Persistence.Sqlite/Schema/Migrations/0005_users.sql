-- Users, their API keys and the token signing key (docs/security.md, "Users, tokens and API keys"). Passwords are
-- ASP.NET Core Identity PasswordHasher hashes; API keys are stored as the SHA-256 of their secret, never the secret.
-- Keys are revoked, not deleted, so a listing still shows them. Instants are UTC ticks, as everywhere in this file.

CREATE TABLE users
(
    username       TEXT    NOT NULL PRIMARY KEY,
    role           TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    security_stamp TEXT    NOT NULL,
    created_at     INTEGER NOT NULL
);

CREATE TABLE api_keys
(
    id           TEXT    NOT NULL PRIMARY KEY,
    owner        TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    secret_hash  BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NULL,
    revoked_at   INTEGER NULL
);

CREATE INDEX api_keys_owner ON api_keys (owner, created_at);

-- Named settings; today only the token signing key ('jwt_signing_key').
CREATE TABLE auth_settings
(
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
