DROP TABLE idempotency_keys;
DROP TABLE audit_events;
DROP TABLE login_throttle;
DROP TABLE identity_documents;
DROP TABLE api_clients;
DROP TABLE refresh_tokens;
DROP TABLE sessions;
DROP TABLE accounts;
