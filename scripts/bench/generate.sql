-- Bulk applications for benchmarks, on a database that already holds the demo catalogue (the server
-- loads it at first start). Run with psql -v n=1000000. Residents are one per ten applications; the
-- mix of statuses follows a service that has run for a few years: most applications decided, a few
-- percent open work, most of that unassigned. Idempotent per run only: use a fresh database.
\set ON_ERROR_STOP on
BEGIN;
SET LOCAL synchronous_commit = off;

CREATE TEMP TABLE bench_services AS
SELECT row_number() OVER (ORDER BY s.id) - 1 AS k, s.id, s.organisation_id, s.live_version,
       (SELECT a.id FROM accounts a WHERE a.organisation_id = s.organisation_id
        AND a.role IN ('officer', 'supervisor') ORDER BY a.id LIMIT 1) AS officer_id
FROM services s WHERE s.live_version IS NOT NULL;

INSERT INTO accounts (id, role, organisation_id, email, phone, password_hash, full_name,
                      preferred_language, status, created_at, updated_at)
SELECT 'bench-resident-' || g, 'resident', NULL, 'bench' || g || '@example.mo', NULL,
       '$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0$0000000000000000000000000000000000000000000',
       'Bench Resident ' || g, 'zh-Hant', 'active', now()::timestamp, now()::timestamp
FROM generate_series(1, GREATEST(:n / 10, 1)) AS g;

WITH g AS (
    SELECT i,
           (i::bigint * 7919) % 1000 AS r,
           timestamp '2023-01-02' + (i::double precision / :n) * (now()::timestamp - timestamp '2023-01-02') AS created
    FROM generate_series(1, :n) AS i
), s AS (
    SELECT g.*, bs.id AS service_id, bs.organisation_id, bs.live_version, bs.officer_id,
           CASE WHEN r < 20 THEN 'draft' WHEN r < 50 THEN 'submitted' WHEN r < 70 THEN 'in_review'
                WHEN r < 80 THEN 'needs_info' WHEN r < 100 THEN 'withdrawn'
                WHEN r < 600 THEN 'approved' ELSE 'rejected' END AS status
    FROM g JOIN bench_services bs ON bs.k = g.i % (SELECT count(*) FROM bench_services)
)
INSERT INTO applications (id, reference, service_id, service_version, organisation_id, resident_id,
                          status, form_data, assignee_id, due_at, decision_reason, submitted_at,
                          needs_info_since, version, created_at, updated_at)
SELECT 'bench-app-' || lpad(i::text, 9, '0'),
       'HQ-BENCH-' || lpad(i::text, 9, '0'),
       service_id, live_version, organisation_id,
       'bench-resident-' || (1 + i % GREATEST(:n / 10, 1)),
       status,
       '{"full_name":"Bench","macao_id":"1234567(3)","travel_date":"2026-12-20"}',
       CASE WHEN status IN ('in_review', 'approved', 'rejected') THEN officer_id END,
       CASE WHEN status = 'draft' THEN NULL ELSE created + interval '10 days' END,
       CASE WHEN status IN ('approved', 'rejected') THEN 'decided' END,
       CASE WHEN status = 'draft' THEN NULL ELSE created + interval '1 hour' END,
       CASE WHEN status = 'needs_info' THEN created + interval '2 days' END,
       3, created, created + interval '3 days'
FROM s;

SELECT setval('application_reference_seq', GREATEST((SELECT last_value FROM application_reference_seq), 1));
COMMIT;
ANALYZE applications;
ANALYZE accounts;
