-- Issue 22: head-office reads served by indexes and kept rows, so their cost grows with the page,
-- not with the bank. Lists are ordered by (org_path, id): any subtree is one range of each index.

-- Customers' list filters, each inside the caller's subtree.
CREATE INDEX customers_kind_scope ON customers(kind, org_path, id);
-- Key accounts and VIPs are few: partial indexes (the list names them with a literal, `= 1`); the
-- many others are found by walking the subtree.
CREATE INDEX customers_key_account_scope ON customers(org_path, id) WHERE is_key_account = 1;
CREATE INDEX customers_vip_scope ON customers(org_path, id) WHERE is_vip = 1;
-- Name prefix, case-insensitive for ASCII letters.
CREATE INDEX customers_name_prefix ON customers(lower(name), org_path, id);

-- National ID search through a keyed hash (HMAC-SHA-256 under the server's search key, which lives
-- outside the database), never an index of the number itself. A change of the number clears the
-- hash on every path; the server hashes what is missing (src/national_ids.rs).
ALTER TABLE customers ADD COLUMN national_id_hash TEXT;
CREATE INDEX customers_national_id_hash ON customers(national_id_hash);
CREATE INDEX customers_national_id_unhashed ON customers(id)
    WHERE national_id IS NOT NULL AND national_id_hash IS NULL;
CREATE TRIGGER customers_national_id_rehash AFTER UPDATE OF national_id ON customers
WHEN NEW.national_id IS NOT OLD.national_id
BEGIN
    UPDATE customers SET national_id_hash = NULL WHERE id = NEW.id;
END;

-- The A-5/A-6 categories, one row each, kept by the database from customers.categories on every
-- path (commands, imports, the demo).
CREATE TABLE customer_categories (
    customer_id TEXT NOT NULL,
    category TEXT NOT NULL,
    org_path TEXT NOT NULL,
    PRIMARY KEY (customer_id, category)
);
CREATE INDEX customer_categories_scope ON customer_categories(category, org_path, customer_id);
INSERT INTO customer_categories(customer_id, category, org_path)
SELECT c.id, j.value, c.org_path
FROM customers c, json_each('["' || replace(c.categories, ',', '","') || '"]') j
WHERE c.categories <> '';
CREATE TRIGGER customer_categories_insert AFTER INSERT ON customers WHEN NEW.categories <> ''
BEGIN
    INSERT INTO customer_categories(customer_id, category, org_path)
    SELECT NEW.id, value, NEW.org_path FROM json_each('["' || replace(NEW.categories, ',', '","') || '"]');
END;
CREATE TRIGGER customer_categories_update AFTER UPDATE OF categories, org_path ON customers
BEGIN
    DELETE FROM customer_categories WHERE customer_id = OLD.id;
    INSERT INTO customer_categories(customer_id, category, org_path)
    SELECT NEW.id, value, NEW.org_path FROM json_each('["' || replace(NEW.categories, ',', '","') || '"]')
    WHERE NEW.categories <> '';
END;
CREATE TRIGGER customer_categories_delete AFTER DELETE ON customers
BEGIN
    DELETE FROM customer_categories WHERE customer_id = OLD.id;
END;

-- Name contains: a trigram index over customers.name (external content; the customers' rowid links
-- them, and `INSERT INTO customer_names(customer_names) VALUES ('rebuild')` rebuilds it).
CREATE VIRTUAL TABLE customer_names USING fts5(
    name, content = 'customers', content_rowid = 'rowid', tokenize = 'trigram'
);
INSERT INTO customer_names(customer_names) VALUES ('rebuild');
CREATE TRIGGER customer_names_insert AFTER INSERT ON customers
BEGIN
    INSERT INTO customer_names(rowid, name) VALUES (NEW.rowid, NEW.name);
END;
CREATE TRIGGER customer_names_update AFTER UPDATE OF name ON customers
BEGIN
    INSERT INTO customer_names(customer_names, rowid, name) VALUES ('delete', OLD.rowid, OLD.name);
    INSERT INTO customer_names(rowid, name) VALUES (NEW.rowid, NEW.name);
END;
CREATE TRIGGER customer_names_delete AFTER DELETE ON customers
BEGIN
    INSERT INTO customer_names(customer_names, rowid, name) VALUES ('delete', OLD.rowid, OLD.name);
END;

-- A-6: the customers that need a second RM and hold fewer than two, kept by the database with every
-- change of a customer's marker or of its holders, whatever the path.
CREATE TABLE second_rm_queue (
    customer_id TEXT PRIMARY KEY NOT NULL,
    org_path TEXT NOT NULL,
    since TIMESTAMP NOT NULL
);
CREATE INDEX second_rm_queue_scope ON second_rm_queue(org_path, customer_id);
INSERT INTO second_rm_queue(customer_id, org_path, since)
SELECT c.id, c.org_path, c.needs_second_rm_since FROM customers c
WHERE c.needs_second_rm_since IS NOT NULL
  AND (SELECT count(*) FROM assignments a WHERE a.customer_id = c.id AND a.valid_to IS NULL) < 2;
CREATE TRIGGER second_rm_queue_customer_insert AFTER INSERT ON customers
WHEN NEW.needs_second_rm_since IS NOT NULL
BEGIN
    INSERT INTO second_rm_queue(customer_id, org_path, since)
    VALUES (NEW.id, NEW.org_path, NEW.needs_second_rm_since);
END;
CREATE TRIGGER second_rm_queue_customer_update AFTER UPDATE OF needs_second_rm_since, org_path ON customers
BEGIN
    DELETE FROM second_rm_queue WHERE customer_id = NEW.id;
    INSERT INTO second_rm_queue(customer_id, org_path, since)
    SELECT NEW.id, NEW.org_path, NEW.needs_second_rm_since
    WHERE NEW.needs_second_rm_since IS NOT NULL
      AND (SELECT count(*) FROM assignments a WHERE a.customer_id = NEW.id AND a.valid_to IS NULL) < 2;
END;
CREATE TRIGGER second_rm_queue_customer_delete AFTER DELETE ON customers
BEGIN
    DELETE FROM second_rm_queue WHERE customer_id = OLD.id;
END;
CREATE TRIGGER second_rm_queue_assignment_insert AFTER INSERT ON assignments
WHEN NEW.valid_to IS NULL AND EXISTS (
    SELECT 1 FROM customers WHERE id = NEW.customer_id AND needs_second_rm_since IS NOT NULL
)
BEGIN
    DELETE FROM second_rm_queue WHERE customer_id = NEW.customer_id;
    INSERT INTO second_rm_queue(customer_id, org_path, since)
    SELECT c.id, c.org_path, c.needs_second_rm_since FROM customers c
    WHERE c.id = NEW.customer_id AND c.needs_second_rm_since IS NOT NULL
      AND (SELECT count(*) FROM assignments a WHERE a.customer_id = c.id AND a.valid_to IS NULL) < 2;
END;
CREATE TRIGGER second_rm_queue_assignment_update AFTER UPDATE OF valid_to, customer_id ON assignments
BEGIN
    DELETE FROM second_rm_queue WHERE customer_id IN (OLD.customer_id, NEW.customer_id);
    INSERT INTO second_rm_queue(customer_id, org_path, since)
    SELECT c.id, c.org_path, c.needs_second_rm_since FROM customers c
    WHERE c.id IN (OLD.customer_id, NEW.customer_id) AND c.needs_second_rm_since IS NOT NULL
      AND (SELECT count(*) FROM assignments a WHERE a.customer_id = c.id AND a.valid_to IS NULL) < 2;
END;
CREATE TRIGGER second_rm_queue_assignment_delete AFTER DELETE ON assignments
BEGIN
    DELETE FROM second_rm_queue WHERE customer_id = OLD.customer_id;
    INSERT INTO second_rm_queue(customer_id, org_path, since)
    SELECT c.id, c.org_path, c.needs_second_rm_since FROM customers c
    WHERE c.id = OLD.customer_id AND c.needs_second_rm_since IS NOT NULL
      AND (SELECT count(*) FROM assignments a WHERE a.customer_id = c.id AND a.valid_to IS NULL) < 2;
END;

-- A-8 rotation: the primaries in force, oldest tenure first.
CREATE INDEX assignments_active_primary_tenure ON assignments(held_since, id) WHERE role = 'primary' AND valid_to IS NULL;

-- R-4: each RM's books at its latest evaluation, kept by every evaluation: the overview reads them
-- instead of recounting every RM's loans on each call.
CREATE TABLE rm_indicators (
    rm_id TEXT PRIMARY KEY NOT NULL REFERENCES rms(id),
    as_of DATE NOT NULL,
    loan_customers INTEGER NOT NULL,
    overdue_customers INTEGER NOT NULL
);
INSERT INTO rm_indicators(rm_id, as_of, loan_customers, overdue_customers)
SELECT json_extract(r.value, '$.rm_id'), e.as_of,
       json_extract(r.value, '$.indicator.loan_customers'),
       json_extract(r.value, '$.indicator.overdue_customers')
FROM evaluations e, json_each(e.summary, '$.rms') r
WHERE json_extract(r.value, '$.rm_id') IN (SELECT id FROM rms)
ORDER BY e.as_of
ON CONFLICT (rm_id) DO UPDATE SET
    as_of = excluded.as_of,
    loan_customers = excluded.loan_customers,
    overdue_customers = excluded.overdue_customers
WHERE excluded.as_of >= rm_indicators.as_of;

-- The overview's counts over a subtree, read from covering indexes (no row lookups).
CREATE INDEX flags_scope_counts ON flags(org_path, status, kind, severity, raised_at);
CREATE INDEX required_checks_scope_opened ON required_checks(org_path, created_at);
CREATE INDEX exit_cases_scope_opened ON exit_cases(org_path, created_at);
