DROP TABLE notification_preferences;
DROP TABLE devices;
DROP TABLE message_outbox;
