DROP SEQUENCE application_reference_seq;
DROP TABLE outbox_events;
DROP TABLE documents;
DROP TABLE notifications;
DROP TABLE application_events;
DROP TABLE applications;
