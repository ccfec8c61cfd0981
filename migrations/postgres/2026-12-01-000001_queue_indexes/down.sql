CREATE INDEX applications_queue_idx ON applications (organisation_id, status, due_at, id);
DROP INDEX applications_org_due_idx;
DROP INDEX applications_open_idx;
DROP INDEX applications_open_assigned_idx;
DROP INDEX applications_open_unassigned_idx;
