DROP TABLE contact_verifications;
ALTER TABLE accounts DROP COLUMN phone_verified;
ALTER TABLE accounts DROP COLUMN email_verified;
