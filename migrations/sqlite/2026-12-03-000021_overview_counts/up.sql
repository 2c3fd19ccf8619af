-- The overview's counters, kept by the database with every change on every path, per org unit
-- (and kind and severity, or due date), so that a head office's overview sums a few rows per unit
-- instead of counting every open flag and check of the bank. As with the RMs' loads, a change
-- appends a row to `*_changes`; a read adds them to the totals, which the server folds them into
-- every few seconds (src/db/kept.rs), dropping totals that fall to zero.

-- Open (not resolved) flags by unit, kind and severity.
CREATE TABLE open_flag_counts (
    org_path TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    open INTEGER NOT NULL CHECK (open >= 0),
    PRIMARY KEY (org_path, kind, severity)
);
CREATE TABLE open_flag_count_changes (
    id INTEGER PRIMARY KEY,
    org_path TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL,
    open INTEGER NOT NULL
);
CREATE INDEX open_flag_count_changes_scope ON open_flag_count_changes(org_path);
INSERT INTO open_flag_counts(org_path, kind, severity, open)
SELECT org_path, kind, severity, count(*) FROM flags WHERE status <> 'resolved'
GROUP BY org_path, kind, severity;
CREATE TRIGGER open_flag_counts_insert AFTER INSERT ON flags WHEN NEW.status <> 'resolved'
BEGIN
    INSERT INTO open_flag_count_changes(org_path, kind, severity, open)
    VALUES (NEW.org_path, NEW.kind, NEW.severity, 1);
END;
CREATE TRIGGER open_flag_counts_update AFTER UPDATE OF status, org_path, kind, severity ON flags
WHEN (OLD.status = 'resolved') <> (NEW.status = 'resolved') OR OLD.org_path <> NEW.org_path
  OR OLD.kind <> NEW.kind OR OLD.severity <> NEW.severity
BEGIN
    INSERT INTO open_flag_count_changes(org_path, kind, severity, open)
    SELECT OLD.org_path, OLD.kind, OLD.severity, -1 WHERE OLD.status <> 'resolved';
    INSERT INTO open_flag_count_changes(org_path, kind, severity, open)
    SELECT NEW.org_path, NEW.kind, NEW.severity, 1 WHERE NEW.status <> 'resolved';
END;
CREATE TRIGGER open_flag_counts_delete AFTER DELETE ON flags WHEN OLD.status <> 'resolved'
BEGIN
    INSERT INTO open_flag_count_changes(org_path, kind, severity, open)
    VALUES (OLD.org_path, OLD.kind, OLD.severity, -1);
END;

-- D-5: open required checks by unit and due date (due or overdue depends on the day the overview
-- is read).
CREATE TABLE open_check_counts (
    org_path TEXT NOT NULL,
    due_on DATE NOT NULL,
    open INTEGER NOT NULL CHECK (open >= 0),
    PRIMARY KEY (org_path, due_on)
);
CREATE TABLE open_check_count_changes (
    id INTEGER PRIMARY KEY,
    org_path TEXT NOT NULL,
    due_on DATE NOT NULL,
    open INTEGER NOT NULL
);
CREATE INDEX open_check_count_changes_scope ON open_check_count_changes(org_path);
INSERT INTO open_check_counts(org_path, due_on, open)
SELECT org_path, due_on, count(*) FROM required_checks WHERE closed_at IS NULL
GROUP BY org_path, due_on;
CREATE TRIGGER open_check_counts_insert AFTER INSERT ON required_checks WHEN NEW.closed_at IS NULL
BEGIN
    INSERT INTO open_check_count_changes(org_path, due_on, open) VALUES (NEW.org_path, NEW.due_on, 1);
END;
CREATE TRIGGER open_check_counts_update AFTER UPDATE OF closed_at, org_path, due_on ON required_checks
WHEN (OLD.closed_at IS NULL) <> (NEW.closed_at IS NULL) OR OLD.org_path <> NEW.org_path
  OR OLD.due_on <> NEW.due_on
BEGIN
    INSERT INTO open_check_count_changes(org_path, due_on, open)
    SELECT OLD.org_path, OLD.due_on, -1 WHERE OLD.closed_at IS NULL;
    INSERT INTO open_check_count_changes(org_path, due_on, open)
    SELECT NEW.org_path, NEW.due_on, 1 WHERE NEW.closed_at IS NULL;
END;
CREATE TRIGGER open_check_counts_delete AFTER DELETE ON required_checks WHEN OLD.closed_at IS NULL
BEGIN
    INSERT INTO open_check_count_changes(org_path, due_on, open) VALUES (OLD.org_path, OLD.due_on, -1);
END;

-- The trend reads when flags were raised in a subtree; the counts above replace the rest of the
-- wider index.
DROP INDEX flags_scope_counts;
CREATE INDEX flags_scope_raised ON flags(org_path, raised_at);

-- R-4: each RM's latest books carry the RM's org path (kept by the database when the books are
-- written and when the RM moves), so that a subtree's books are one range of a covering index.
ALTER TABLE rm_indicators ADD COLUMN org_path TEXT NOT NULL DEFAULT '';
UPDATE rm_indicators SET org_path = (SELECT r.org_path FROM rms r WHERE r.id = rm_indicators.rm_id);
CREATE INDEX rm_indicators_scope ON rm_indicators(org_path, loan_customers, overdue_customers, rm_id);
CREATE TRIGGER rm_indicators_scope_insert AFTER INSERT ON rm_indicators
BEGIN
    UPDATE rm_indicators SET org_path = (SELECT r.org_path FROM rms r WHERE r.id = NEW.rm_id)
    WHERE rm_id = NEW.rm_id;
END;
CREATE TRIGGER rm_indicators_follow_rm AFTER UPDATE OF org_path ON rms
BEGIN
    UPDATE rm_indicators SET org_path = NEW.org_path WHERE rm_id = NEW.id;
END;
