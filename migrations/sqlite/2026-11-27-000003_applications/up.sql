CREATE TABLE applications (
    id TEXT PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    service_id TEXT NOT NULL REFERENCES services (id),
    service_version INTEGER NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    resident_id TEXT NOT NULL REFERENCES accounts (id),
    status TEXT NOT NULL,
    form_data TEXT NOT NULL,
    assignee_id TEXT REFERENCES accounts (id),
    due_at TIMESTAMP,
    decision_reason TEXT,
    submitted_at TIMESTAMP,
    needs_info_since TIMESTAMP,
    version INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX applications_resident_idx ON applications (resident_id, created_at, id);
CREATE INDEX applications_resident_updated_idx ON applications (resident_id, updated_at);
-- The organisation queue: open work sorted by due date.
CREATE INDEX applications_queue_idx ON applications (organisation_id, status, due_at, id);

CREATE TABLE application_events (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    actor_type TEXT NOT NULL,
    actor_id TEXT,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    comment TEXT,
    visible_to_resident BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX application_events_application_idx ON application_events (application_id, created_at, id);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    application_id TEXT REFERENCES applications (id) ON DELETE CASCADE,
    event_id TEXT,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    is_read BOOLEAN NOT NULL,
    read_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX notifications_account_idx ON notifications (account_id, is_read, created_at, id);

CREATE TABLE documents (
    id TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    original_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    storage_key TEXT NOT NULL,
    uploaded_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX documents_application_idx ON documents (application_id, created_at, id);

-- Webhook events, written in the same transaction as the change they describe.
CREATE TABLE outbox_events (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL,
    application_id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX outbox_events_created_idx ON outbox_events (created_at, id);

-- Reference numbers: a counter row bumped inside the IMMEDIATE write transaction.
CREATE TABLE reference_counters (name TEXT PRIMARY KEY, value BIGINT NOT NULL);
INSERT INTO reference_counters (name, value) VALUES ('application', 0);
