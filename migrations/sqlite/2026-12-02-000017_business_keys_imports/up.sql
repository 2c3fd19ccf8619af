-- The bank's own keys: its customer numbers (客户号) and unit codes (机构号), unique where given.
-- RMs already carry their employee number (工号).
ALTER TABLE customers ADD COLUMN customer_no TEXT;
CREATE UNIQUE INDEX customers_customer_no ON customers(customer_no);
ALTER TABLE org_units ADD COLUMN code TEXT;
CREATE UNIQUE INDEX org_units_code ON org_units(code);
UPDATE org_units SET code = 'HO' WHERE parent_id IS NULL;

-- Go-live imports: one row per file loaded (or dry-run), with its report. The rows an import
-- wrote are audited as one event naming the file's digest (M-2), the only way the past is written.
CREATE TABLE imports (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    dry_run BOOLEAN NOT NULL,
    file_name TEXT,
    sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    phase TEXT NOT NULL,
    rows_read BIGINT NOT NULL,
    inserted BIGINT NOT NULL,
    updated BIGINT NOT NULL,
    unchanged BIGINT NOT NULL,
    errors TEXT NOT NULL,
    errors_total BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    org_path TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX imports_started ON imports(started_at);
