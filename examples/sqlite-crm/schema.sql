-- The CRM's tables, as the connector reads them. updated_at is RFC 3339 in
-- UTC ("2024-03-01T09:00:00Z"); phone and mobile hold numbers as typed.
CREATE TABLE companies (
	id         INTEGER PRIMARY KEY,
	name       TEXT NOT NULL,
	updated_at TEXT
);
CREATE TABLE contacts (
	id         INTEGER PRIMARY KEY,
	first_name TEXT,
	last_name  TEXT,
	company_id INTEGER REFERENCES companies (id),
	email      TEXT,
	owner      TEXT,
	phone      TEXT,
	mobile     TEXT,
	updated_at TEXT
);
