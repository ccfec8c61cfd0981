-- Webhook secrets and stored replies are sealed at rest; the id of the data key that sealed each value
-- is stored beside it. Rows written before have no key id and are sealed by the server at its next
-- start (SQL cannot: the key is not in the database).
ALTER TABLE webhook_endpoints ADD COLUMN secret_key_id TEXT;
ALTER TABLE idempotency_keys ADD COLUMN key_id TEXT;
-- The account a stored reply is about when it is not its owner's (a registration), so that erasing the
-- account erases the reply.
ALTER TABLE idempotency_keys ADD COLUMN subject_id TEXT;
CREATE INDEX idempotency_keys_subject_idx ON idempotency_keys (subject_id) WHERE subject_id IS NOT NULL;
-- Finds the replies still in clear at start without reading the whole table.
CREATE INDEX idempotency_keys_clear_idx ON idempotency_keys (created_at) WHERE key_id IS NULL;
