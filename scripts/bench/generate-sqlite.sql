-- SQLite twin of generate.sql: n bulk applications on a database that already holds the demo
-- catalogue (the server loads it at first start), with the same residents, services, statuses and
-- dates, so that figures on both backends describe the same data. Run with
--   sqlite3 -cmd '.parameter set :n 10000' FILE < generate-sqlite.sql
-- Timestamps are written as diesel writes them ('YYYY-MM-DD HH:MM:SS.ffffff'), with microseconds that
-- never end in 000: diesel prints a fraction with as few digits as it needs, and keyset cursors compare
-- the text, so a stored '.001000' would sort after the '.001' a cursor carries for the same instant.
.bail on
BEGIN IMMEDIATE;

CREATE TEMP TABLE bench_n AS
SELECT CAST(:n AS INTEGER) AS n, max(CAST(:n AS INTEGER) / 10, 1) AS residents,
       julianday('2023-01-02') AS origin, julianday('now') AS now_day,
       strftime('%Y-%m-%d %H:%M:%S', 'now') || '.000001' AS now_ts;

CREATE TEMP TABLE bench_services AS
SELECT row_number() OVER (ORDER BY s.id) - 1 AS k, s.id, s.organisation_id, s.live_version,
       (SELECT a.id FROM accounts a WHERE a.organisation_id = s.organisation_id
        AND a.role IN ('officer', 'supervisor') ORDER BY a.id LIMIT 1) AS officer_id
FROM services s WHERE s.live_version IS NOT NULL;

WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < (SELECT residents FROM bench_n))
INSERT INTO accounts (id, role, organisation_id, email, phone, password_hash, full_name,
                      preferred_language, status, created_at, updated_at)
SELECT 'bench-resident-' || i, 'resident', NULL, 'bench' || i || '@example.mo', NULL,
       '$argon2id$v=19$m=19456,t=2,p=1$YmVuY2hzYWx0$0000000000000000000000000000000000000000000',
       'Bench Resident ' || i, 'zh-Hant', 'active', now_ts, now_ts
FROM g, bench_n;

WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < (SELECT n FROM bench_n)),
t AS (
    SELECT i, (i * 7919) % 1000 AS r,
           origin + (CAST(i AS REAL) / n) * (now_day - origin) AS created,
           printf('.%03d%03d', (i * 37) % 1000, 1 + i % 999) AS micros
    FROM g, bench_n
), s AS (
    SELECT t.*, bs.id AS service_id, bs.organisation_id, bs.live_version, bs.officer_id,
           CASE WHEN r < 20 THEN 'draft' WHEN r < 50 THEN 'submitted' WHEN r < 70 THEN 'in_review'
                WHEN r < 80 THEN 'needs_info' WHEN r < 100 THEN 'withdrawn'
                WHEN r < 600 THEN 'approved' ELSE 'rejected' END AS status
    FROM t JOIN bench_services bs ON bs.k = t.i % (SELECT count(*) FROM bench_services)
)
INSERT INTO applications (id, reference, service_id, service_version, organisation_id, resident_id,
                          status, form_data, assignee_id, due_at, decision_reason, submitted_at,
                          needs_info_since, version, created_at, updated_at)
SELECT 'bench-app-' || printf('%09d', i),
       'HQ-BENCH-' || printf('%09d', i),
       service_id, live_version, organisation_id,
       'bench-resident-' || (1 + i % (SELECT residents FROM bench_n)),
       status,
       '{"full_name":"Bench","macao_id":"1234567(3)","travel_date":"2026-12-20"}',
       CASE WHEN status IN ('in_review', 'approved', 'rejected') THEN officer_id END,
       CASE WHEN status = 'draft' THEN NULL ELSE strftime('%Y-%m-%d %H:%M:%S', created + 10) || micros END,
       CASE WHEN status IN ('approved', 'rejected') THEN 'decided' END,
       CASE WHEN status = 'draft' THEN NULL ELSE strftime('%Y-%m-%d %H:%M:%S', created + 1.0 / 24) || micros END,
       CASE WHEN status = 'needs_info' THEN strftime('%Y-%m-%d %H:%M:%S', created + 2) || micros END,
       3,
       strftime('%Y-%m-%d %H:%M:%S', created) || micros,
       strftime('%Y-%m-%d %H:%M:%S', created + 3) || micros
FROM s;

COMMIT;
ANALYZE;
