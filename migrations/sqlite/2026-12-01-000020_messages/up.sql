-- Messages that leave the server (email, SMS, push), written in the transaction of the change that causes
-- them and sent by a worker; at most one row per cause, channel and recipient (an address or a device id).
CREATE TABLE message_outbox (
    id TEXT PRIMARY KEY,
    account_id TEXT,
    event_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    data TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    last_error TEXT,
    next_attempt_at TIMESTAMP NOT NULL,
    leased_until TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE UNIQUE INDEX message_outbox_once_idx ON message_outbox (event_id, channel, recipient);
CREATE INDEX message_outbox_due_idx ON message_outbox (status, next_attempt_at);
CREATE INDEX message_outbox_account_idx ON message_outbox (account_id, created_at, id);

-- Phones and browsers that receive push messages; a token belongs to one account at a time.
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    session_id TEXT,
    platform TEXT NOT NULL,
    push_token TEXT NOT NULL,
    app_version TEXT NOT NULL,
    locale TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX devices_token_idx ON devices (platform, push_token);
CREATE INDEX devices_account_idx ON devices (account_id, created_at, id);
CREATE INDEX devices_session_idx ON devices (session_id);

-- Which events reach which channel, per account; no row means the defaults.
CREATE TABLE notification_preferences (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    settings TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
