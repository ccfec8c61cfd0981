-- Catalogue: organisations (the tenant boundary) and their services with versioned forms.
-- Texts in four languages are JSON objects stored as TEXT so that one schema serves PostgreSQL and SQLite.
CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    jurisdiction TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    holidays TEXT NOT NULL DEFAULT '[]',
    search_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE services (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    code TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL,
    texts TEXT NOT NULL,
    fee_amount BIGINT NOT NULL DEFAULT 0,
    fee_currency TEXT NOT NULL DEFAULT 'MOP',
    sla_days INTEGER NOT NULL,
    live_version INTEGER,
    search_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX services_organisation_idx ON services (organisation_id, code);
CREATE INDEX services_category_idx ON services (category, code);

CREATE TABLE service_versions (
    service_id TEXT NOT NULL REFERENCES services (id),
    version INTEGER NOT NULL,
    form TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP,
    PRIMARY KEY (service_id, version)
);
