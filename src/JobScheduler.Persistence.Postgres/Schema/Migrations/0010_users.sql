-- JobScheduler schema 10: users, their API keys and the token signing key (docs/security.md, "Users, tokens and API
-- keys"). Passwords are ASP.NET Core Identity PasswordHasher hashes; API keys are stored as the SHA-256 of their
-- secret, never the secret. Keys are revoked, not deleted, so a listing still shows them.

CREATE TABLE IF NOT EXISTS js_users
(
    username       text        NOT NULL PRIMARY KEY,
    role           text        NOT NULL,
    password_hash  text        NOT NULL,
    security_stamp text        NOT NULL,
    created_at     timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS js_api_keys
(
    id           text        NOT NULL PRIMARY KEY,
    owner        text        NOT NULL,
    name         text        NOT NULL,
    secret_hash  bytea       NOT NULL,
    created_at   timestamptz NOT NULL,
    last_used_at timestamptz NULL,
    revoked_at   timestamptz NULL
);

CREATE INDEX IF NOT EXISTS js_api_keys_owner ON js_api_keys (owner, created_at);

-- Named settings the processes of a cluster share; today only the token signing key ('jwt_signing_key').
CREATE TABLE IF NOT EXISTS js_auth_settings
(
    name  text NOT NULL PRIMARY KEY,
    value text NOT NULL
);
