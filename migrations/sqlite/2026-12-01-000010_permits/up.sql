-- Digital permits. A service version may issue one on approval (its setting, JSON, in `permit`).
-- Signing keys are published with the window in which each signs; private keys never enter the database.
ALTER TABLE service_versions ADD COLUMN permit TEXT;

CREATE TABLE permit_keys (
    kid TEXT PRIMARY KEY,
    public_key TEXT NOT NULL,
    signs_from TIMESTAMP NOT NULL,
    signs_until TIMESTAMP NOT NULL,
    withdrawn_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);

-- One permit per approved application. The status-list slot is drawn at random, so a list says nothing
-- about the order permits were issued in. Who revoked a permit is in the audit trail.
CREATE TABLE permits (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL UNIQUE REFERENCES applications (id),
    resident_id TEXT NOT NULL REFERENCES accounts (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    service_id TEXT NOT NULL REFERENCES services (id),
    permit_type TEXT NOT NULL,
    number TEXT NOT NULL,
    status TEXT NOT NULL,
    valid_from TIMESTAMP NOT NULL,
    valid_until TIMESTAMP NOT NULL,
    status_list INTEGER NOT NULL,
    status_index INTEGER NOT NULL,
    revoked_at TIMESTAMP,
    revoke_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (status_list, status_index)
);
CREATE INDEX permits_resident_idx ON permits (resident_id, created_at, id);

-- The credential a permit currently carries; re-signed in place when it is refreshed or its key is
-- withdrawn.
CREATE TABLE permit_credentials (
    permit_id TEXT PRIMARY KEY REFERENCES permits (id),
    kid TEXT NOT NULL,
    token_id TEXT NOT NULL,
    qr TEXT NOT NULL,
    signed_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX permit_credentials_kid_idx ON permit_credentials (kid);
