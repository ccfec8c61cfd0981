DROP TABLE webhook_attempts;
DROP TABLE webhook_jobs;
DROP TABLE webhook_endpoints;
