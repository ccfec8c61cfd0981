DROP TABLE permit_credentials;
DROP TABLE permits;
DROP TABLE permit_keys;
ALTER TABLE service_versions DROP COLUMN permit;
