-- Issue 22: head-office reads served by indexes and kept rows, so their cost grows with the page,
-- not with the bank. Lists are ordered by (org_path, id): any subtree is one range of each index.

-- Names compare byte-wise (prefix ranges, the same order as SQLite).
ALTER TABLE customers ALTER COLUMN name TYPE TEXT COLLATE "C";

-- Customers' list filters, each inside the caller's subtree.
CREATE INDEX customers_kind_scope ON customers(kind, org_path, id);
-- Key accounts and VIPs are few: partial indexes; the many others are found by walking the subtree.
CREATE INDEX customers_key_account_scope ON customers(org_path, id) WHERE is_key_account;
CREATE INDEX customers_vip_scope ON customers(org_path, id) WHERE is_vip;
-- Name prefix, case-insensitive for ASCII letters.
CREATE INDEX customers_name_prefix ON customers(lower(name), org_path, id);
-- Name contains: trigrams (Chinese characters included under a UTF-8 ctype).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX customers_name_trigram ON customers USING gin (name gin_trgm_ops);

-- National ID search through a keyed hash (HMAC-SHA-256 under the server's search key, which lives
-- outside the database), never an index of the number itself. A change of the number clears the
-- hash on every path; the server hashes what is missing (src/national_ids.rs).
ALTER TABLE customers ADD COLUMN national_id_hash TEXT;
CREATE INDEX customers_national_id_hash ON customers(national_id_hash);
CREATE INDEX customers_national_id_unhashed ON customers(id)
    WHERE national_id IS NOT NULL AND national_id_hash IS NULL;
CREATE FUNCTION customers_national_id_rehash() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.national_id IS DISTINCT FROM OLD.national_id THEN
        NEW.national_id_hash := NULL;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER customers_national_id_rehash BEFORE UPDATE OF national_id ON customers
    FOR EACH ROW EXECUTE FUNCTION customers_national_id_rehash();

-- The A-5/A-6 categories, one row each, kept by the database from customers.categories on every
-- path (commands, imports, the demo).
CREATE TABLE customer_categories (
    customer_id TEXT NOT NULL,
    category TEXT NOT NULL,
    org_path TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (customer_id, category)
);
CREATE INDEX customer_categories_scope ON customer_categories(category, org_path, customer_id);
INSERT INTO customer_categories(customer_id, category, org_path)
SELECT c.id, cat, c.org_path
FROM customers c, unnest(string_to_array(c.categories, ',')) cat
WHERE c.categories <> '';

CREATE FUNCTION customer_categories_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM customer_categories WHERE customer_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.categories <> '' THEN
        INSERT INTO customer_categories(customer_id, category, org_path)
        SELECT NEW.id, cat, NEW.org_path FROM unnest(string_to_array(NEW.categories, ',')) cat;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER customer_categories_insert AFTER INSERT ON customers
    FOR EACH ROW WHEN (NEW.categories <> '') EXECUTE FUNCTION customer_categories_keep();
CREATE TRIGGER customer_categories_update AFTER UPDATE OF categories, org_path ON customers
    FOR EACH ROW EXECUTE FUNCTION customer_categories_keep();
CREATE TRIGGER customer_categories_delete AFTER DELETE ON customers
    FOR EACH ROW EXECUTE FUNCTION customer_categories_keep();

-- A-6: the customers that need a second RM and hold fewer than two, kept by the database with every
-- change of a customer's marker or of its holders, whatever the path.
CREATE TABLE second_rm_queue (
    customer_id TEXT PRIMARY KEY NOT NULL,
    org_path TEXT COLLATE "C" NOT NULL,
    since TIMESTAMP NOT NULL
);
CREATE INDEX second_rm_queue_scope ON second_rm_queue(org_path, customer_id);

CREATE FUNCTION second_rm_queue_refresh(customer TEXT) RETURNS void LANGUAGE sql AS $$
    DELETE FROM second_rm_queue WHERE customer_id = customer;
    INSERT INTO second_rm_queue(customer_id, org_path, since)
    SELECT c.id, c.org_path, c.needs_second_rm_since FROM customers c
    WHERE c.id = customer AND c.needs_second_rm_since IS NOT NULL
      AND (SELECT count(*) FROM assignments a WHERE a.customer_id = c.id AND a.valid_to IS NULL) < 2;
$$;
CREATE FUNCTION second_rm_queue_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'customers' THEN
        IF TG_OP = 'DELETE' THEN
            DELETE FROM second_rm_queue WHERE customer_id = OLD.id;
        ELSE
            PERFORM second_rm_queue_refresh(NEW.id);
        END IF;
    ELSIF TG_OP = 'INSERT' AND NOT EXISTS (
        SELECT 1 FROM customers WHERE id = NEW.customer_id AND needs_second_rm_since IS NOT NULL
    ) THEN
        RETURN NULL;
    ELSE
        IF TG_OP <> 'INSERT' THEN
            PERFORM second_rm_queue_refresh(OLD.customer_id);
        END IF;
        IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.customer_id <> OLD.customer_id) THEN
            PERFORM second_rm_queue_refresh(NEW.customer_id);
        END IF;
    END IF;
    RETURN NULL;
END $$;
INSERT INTO second_rm_queue(customer_id, org_path, since)
SELECT c.id, c.org_path, c.needs_second_rm_since FROM customers c
WHERE c.needs_second_rm_since IS NOT NULL
  AND (SELECT count(*) FROM assignments a WHERE a.customer_id = c.id AND a.valid_to IS NULL) < 2;
CREATE TRIGGER second_rm_queue_customer_insert AFTER INSERT ON customers
    FOR EACH ROW WHEN (NEW.needs_second_rm_since IS NOT NULL) EXECUTE FUNCTION second_rm_queue_keep();
CREATE TRIGGER second_rm_queue_customer_update AFTER UPDATE OF needs_second_rm_since, org_path ON customers
    FOR EACH ROW EXECUTE FUNCTION second_rm_queue_keep();
CREATE TRIGGER second_rm_queue_customer_delete AFTER DELETE ON customers
    FOR EACH ROW EXECUTE FUNCTION second_rm_queue_keep();
CREATE TRIGGER second_rm_queue_assignment_insert AFTER INSERT ON assignments
    FOR EACH ROW WHEN (NEW.valid_to IS NULL) EXECUTE FUNCTION second_rm_queue_keep();
CREATE TRIGGER second_rm_queue_assignment_update AFTER UPDATE OF valid_to, customer_id ON assignments
    FOR EACH ROW EXECUTE FUNCTION second_rm_queue_keep();
CREATE TRIGGER second_rm_queue_assignment_delete AFTER DELETE ON assignments
    FOR EACH ROW EXECUTE FUNCTION second_rm_queue_keep();

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
SELECT DISTINCT ON (r->>'rm_id') r->>'rm_id', e.as_of,
       (r->'indicator'->>'loan_customers')::int, (r->'indicator'->>'overdue_customers')::int
FROM evaluations e, jsonb_array_elements(e.summary::jsonb->'rms') r
WHERE r->>'rm_id' IN (SELECT id FROM rms)
ORDER BY r->>'rm_id', e.as_of DESC;

-- The overview's counts over a subtree, read from covering indexes (no row lookups).
CREATE INDEX flags_scope_counts ON flags(org_path, status, kind, severity, raised_at);
CREATE INDEX required_checks_scope_opened ON required_checks(org_path, created_at);
CREATE INDEX exit_cases_scope_opened ON exit_cases(org_path, created_at);
