-- Queue pages walk an index in due-date order and stop after one page, whatever the table's size.
-- Open work (submitted, in review, waiting for information) is a few percent of all applications:
-- partial indexes over it stay small and hold the common worklists; every other filter walks the
-- organisation's submitted applications by due date.
CREATE INDEX applications_open_unassigned_idx ON applications (organisation_id, due_at, id)
    WHERE assignee_id IS NULL AND status IN ('submitted', 'in_review', 'needs_info');
CREATE INDEX applications_open_assigned_idx ON applications (assignee_id, due_at, id)
    WHERE assignee_id IS NOT NULL AND status IN ('submitted', 'in_review', 'needs_info');
CREATE INDEX applications_open_idx ON applications (organisation_id, due_at, id)
    WHERE status IN ('submitted', 'in_review', 'needs_info');
CREATE INDEX applications_org_due_idx ON applications (organisation_id, due_at, id)
    WHERE due_at IS NOT NULL;
DROP INDEX applications_queue_idx;
