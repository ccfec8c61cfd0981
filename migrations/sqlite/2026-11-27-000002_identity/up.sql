-- Identity and access: accounts of every kind, login sessions with rotating refresh tokens, API clients,
-- identity documents, login throttling, the audit trail and idempotency records.
CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    organisation_id TEXT REFERENCES organisations (id),
    email TEXT UNIQUE,
    phone TEXT UNIQUE,
    password_hash TEXT NOT NULL,
    full_name TEXT NOT NULL,
    preferred_language TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX accounts_organisation_idx ON accounts (organisation_id, role);

-- A session is one login: the family of refresh tokens that descend from it.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    revoked_reason TEXT,
    user_agent TEXT NOT NULL,
    ip TEXT NOT NULL
);
CREATE INDEX sessions_account_idx ON sessions (account_id, created_at);
CREATE INDEX sessions_revoked_idx ON sessions (revoked_at);

-- Only SHA-256 hashes of refresh tokens are stored; a rotated token is kept to detect its reuse.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY,
    session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP
);
CREATE INDEX refresh_tokens_session_idx ON refresh_tokens (session_id);

CREATE TABLE api_clients (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL UNIQUE,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);

CREATE TABLE identity_documents (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    number TEXT NOT NULL,
    expires_on TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (account_id, kind, number)
);

-- Failed-login counters, keyed by normalised login and address so all instances share them.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    blocked_until TIMESTAMP
);

CREATE TABLE audit_events (
    id TEXT PRIMARY KEY,
    actor_type TEXT NOT NULL,
    actor_id TEXT,
    organisation_id TEXT,
    action TEXT NOT NULL,
    target_type TEXT,
    target_id TEXT,
    subject_account_id TEXT,
    result INTEGER NOT NULL,
    reason TEXT,
    request_id TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_events_created_idx ON audit_events (created_at, id);
CREATE INDEX audit_events_subject_idx ON audit_events (subject_account_id, created_at);

CREATE TABLE idempotency_keys (
    owner TEXT NOT NULL,
    operation TEXT NOT NULL,
    key TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    status INTEGER NOT NULL,
    headers TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (owner, operation, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
