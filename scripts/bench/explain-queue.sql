-- The organisation queue page as the server runs it (src/store/applications.rs `queue`): unassigned
-- applications in the given statuses, earliest due date first, one page plus one row that tells
-- whether there is a next page. Page 20 adds the keyset condition of its cursor.
--   psql -v org=ORG_ID -v due='2024-01-01T00:00:00.000000' -v id=APP_ID -f explain-queue.sql
-- diesel sends each query as a named prepared statement, kept per connection and keyed by its SQL,
-- with the statuses as one array parameter (`= ANY($2)`). After five executions PostgreSQL may plan it
-- once for any parameters (a generic plan), and a generic plan cannot prove that `= ANY($2)` falls
-- inside a partial index's status list. So each page is shown twice: planned for its values (what
-- the first requests on a connection get), and after six executions of the prepared statement (what
-- the server gets from then on).
\set ON_ERROR_STOP on
SET client_min_messages = warning;

PREPARE queue_page_1(text, text[], bigint) AS
SELECT id, reference, service_id, service_version, organisation_id, resident_id, status, form_data,
       assignee_id, due_at, decision_reason, submitted_at, needs_info_since, version, created_at, updated_at
FROM applications
WHERE organisation_id = $1 AND submitted_at IS NOT NULL AND due_at IS NOT NULL
  AND status = ANY($2) AND assignee_id IS NULL
ORDER BY due_at ASC, id ASC
LIMIT $3;

PREPARE queue_page_n(text, text[], timestamp, text, bigint) AS
SELECT id, reference, service_id, service_version, organisation_id, resident_id, status, form_data,
       assignee_id, due_at, decision_reason, submitted_at, needs_info_since, version, created_at, updated_at
FROM applications
WHERE organisation_id = $1 AND submitted_at IS NOT NULL AND due_at IS NOT NULL
  AND status = ANY($2) AND assignee_id IS NULL
  AND due_at >= $3 AND (due_at > $3 OR id > $4)
ORDER BY due_at ASC, id ASC
LIMIT $5;

\echo '-- page 1, first execution'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE queue_page_1(:'org', '{submitted,in_review}', 51);
\o /dev/null
EXECUTE queue_page_1(:'org', '{submitted,in_review}', 51);
EXECUTE queue_page_1(:'org', '{submitted,in_review}', 51);
EXECUTE queue_page_1(:'org', '{submitted,in_review}', 51);
EXECUTE queue_page_1(:'org', '{submitted,in_review}', 51);
EXECUTE queue_page_1(:'org', '{submitted,in_review}', 51);
\o
\echo '-- page 1, seventh execution of the prepared statement'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE queue_page_1(:'org', '{submitted,in_review}', 51);

\echo '-- page 20 (keyset cursor), first execution'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE queue_page_n(:'org', '{submitted,in_review}', :'due', :'id', 51);
\o /dev/null
EXECUTE queue_page_n(:'org', '{submitted,in_review}', :'due', :'id', 51);
EXECUTE queue_page_n(:'org', '{submitted,in_review}', :'due', :'id', 51);
EXECUTE queue_page_n(:'org', '{submitted,in_review}', :'due', :'id', 51);
EXECUTE queue_page_n(:'org', '{submitted,in_review}', :'due', :'id', 51);
EXECUTE queue_page_n(:'org', '{submitted,in_review}', :'due', :'id', 51);
\o
\echo '-- page 20 (keyset cursor), seventh execution of the prepared statement'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE queue_page_n(:'org', '{submitted,in_review}', :'due', :'id', 51);
