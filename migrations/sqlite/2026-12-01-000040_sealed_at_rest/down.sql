-- Sealed replies mean nothing to a server that does not seal: forget them (a retry then creates anew).
-- Sealed webhook secrets cannot be unsealed in SQL: rotate each endpoint's secret after going back.
DELETE FROM idempotency_keys WHERE key_id IS NOT NULL;
DROP INDEX idempotency_keys_clear_idx;
DROP INDEX idempotency_keys_subject_idx;
ALTER TABLE idempotency_keys DROP COLUMN subject_id;
ALTER TABLE idempotency_keys DROP COLUMN key_id;
ALTER TABLE webhook_endpoints DROP COLUMN secret_key_id;
