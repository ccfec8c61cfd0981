-- Which contacts of an account are proven. Contacts that existed before this migration count as
-- verified: they were the accounts' logins and reset channels already, and refusing resets to them now
-- would lock their owners out. New residents' contacts start unverified until a code confirms them.
ALTER TABLE accounts ADD COLUMN email_verified BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE accounts ADD COLUMN phone_verified BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE accounts SET email_verified = (email IS NOT NULL), phone_verified = (phone IS NOT NULL);

-- One-time codes that prove a contact (at registration or before it becomes the account's); only their
-- hashes are stored.
CREATE TABLE contact_verifications (
    id TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    channel TEXT NOT NULL,
    value TEXT NOT NULL,
    code_hash TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX contact_verifications_account_idx ON contact_verifications (account_id, channel, created_at);
