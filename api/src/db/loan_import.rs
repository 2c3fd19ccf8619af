//! Bulk loan import: rows are staged part by part in a temporary table of the importing
//! transaction, checked against the registry and merged into `loan_snapshots` set-based, so that a
//! million rows cost a few statements per part rather than a million round trips, and the database
//! merges one part while the next is read. PostgreSQL stages with binary `COPY`, SQLite with
//! multi-row inserts; the SQL after staging is the same on both.

use chrono::NaiveDate;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};

use super::{dialect, DbConn};
use crate::error::AppResult;

diesel::table! {
    /// Temporary: exists only inside an import's transaction.
    loan_import (line) {
        line -> BigInt,
        loan_no -> Text,
        as_of -> Date,
        customer_id -> Text,
        rm_id -> Text,
        balance_fen -> BigInt,
        originated_on -> Date,
        classification -> Text,
        interest_due_fen -> BigInt,
        interest_paid_fen -> BigInt,
        days_past_due -> Integer,
        matures_on -> Nullable<Date>,
    }
}

/// One accepted row of the input, as staged.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = loan_import, treat_none_as_default_value = false)]
pub struct StagedRow {
    pub line: i64,
    pub loan_no: String,
    pub as_of: NaiveDate,
    pub customer_id: String,
    pub rm_id: String,
    pub balance_fen: i64,
    pub originated_on: NaiveDate,
    pub classification: String,
    pub interest_due_fen: i64,
    pub interest_paid_fen: i64,
    pub days_past_due: i32,
    pub matures_on: Option<NaiveDate>,
}

const COLUMNS: &str = "line BIGINT NOT NULL, loan_no TEXT NOT NULL, \
    as_of DATE NOT NULL, customer_id TEXT NOT NULL, rm_id TEXT NOT NULL, balance_fen BIGINT NOT NULL, \
    originated_on DATE NOT NULL, classification TEXT NOT NULL, interest_due_fen BIGINT NOT NULL, \
    interest_paid_fen BIGINT NOT NULL, days_past_due INTEGER NOT NULL, matures_on DATE";

/// Flagged rows: the keys of merged rows that may call for a flag.
const FLAGGED_COLUMNS: &str = "loan_no TEXT NOT NULL, as_of DATE NOT NULL";

/// Creates the staging tables (dropped again by [`finish`] or by the transaction's rollback).
pub fn begin(conn: &mut DbConn) -> AppResult<()> {
    let sql = match conn {
        DbConn::Sqlite(_) => format!(
            "DROP TABLE IF EXISTS temp.loan_import; CREATE TEMP TABLE loan_import ({COLUMNS}); \
             DROP TABLE IF EXISTS temp.loan_import_flagged; \
             CREATE TEMP TABLE loan_import_flagged ({FLAGGED_COLUMNS})"
        ),
        DbConn::Pg(_) => format!(
            "DROP TABLE IF EXISTS pg_temp.loan_import; \
             CREATE TEMP TABLE loan_import ({COLUMNS}) ON COMMIT DROP; \
             DROP TABLE IF EXISTS pg_temp.loan_import_flagged; \
             CREATE TEMP TABLE loan_import_flagged ({FLAGGED_COLUMNS}) ON COMMIT DROP"
        ),
    };
    conn.batch_execute(&sql)?;
    Ok(())
}

/// Stages rows (already parsed and checked on their own).
pub fn stage(conn: &mut DbConn, rows: &[StagedRow]) -> AppResult<()> {
    match conn {
        DbConn::Sqlite(c) => {
            for chunk in rows.chunks(1000) {
                diesel::insert_into(loan_import::table)
                    .values(chunk)
                    .execute(c)?;
            }
        }
        DbConn::Pg(c) => {
            diesel::copy_from(loan_import::table)
                .from_insertable(rows)
                .execute(c)?;
            // Autovacuum never sees a temporary table: without statistics the planner takes the
            // part for a few rows and checks it against whole tables instead of their indexes.
            // The two columns the checks join on are enough.
            c.batch_execute("ANALYZE loan_import (customer_id, loan_no)")?;
        }
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Refused {
    #[diesel(sql_type = BigInt)]
    line: i64,
    #[diesel(sql_type = Text)]
    loan_no: String,
}

/// Removes and returns (line, loan_no) of staged rows whose customer is unknown or outside the
/// subtree `scope`.
pub fn refuse_customers_out_of_scope(
    conn: &mut DbConn,
    scope: &str,
) -> AppResult<Vec<(i64, String)>> {
    let in_scope = if super::org_units::is_whole_bank(conn, scope)? {
        // Every customer is in scope: only existence is checked (the id index alone).
        "$1 = $1 AND $2 = $2"
    } else {
        "t.org_path >= $1 AND t.org_path < $2"
    };
    remove_staged_where(
        conn,
        scope,
        &format!(
            "NOT EXISTS (SELECT 1 FROM customers t WHERE t.id = {{row}}.customer_id AND {in_scope})"
        ),
    )
}

/// O-1: removes and returns (line, loan_no) of staged rows whose loan is already recorded for a
/// customer outside the subtree `scope` (loans are keyed bank-wide). Nothing to check for the
/// whole bank.
pub fn refuse_loans_out_of_scope(conn: &mut DbConn, scope: &str) -> AppResult<Vec<(i64, String)>> {
    if super::org_units::is_whole_bank(conn, scope)? {
        return Ok(Vec::new());
    }
    remove_staged_where(
        conn,
        scope,
        "EXISTS (SELECT 1 FROM loans l JOIN customers t ON t.id = l.customer_id \
         WHERE l.loan_no = {row}.loan_no AND (t.org_path < $1 OR t.org_path >= $2))",
    )
}

/// Removes and returns (line, loan_no) of the staged rows matching `condition`, in which `{row}`
/// names the staged row and `$1`, `$2` the bounds of the subtree `scope`.
fn remove_staged_where(
    conn: &mut DbConn,
    scope: &str,
    condition: &str,
) -> AppResult<Vec<(i64, String)>> {
    let (low, high) = super::subtree_range(scope);
    let select = dialect(
        conn,
        &format!(
            "SELECT line, loan_no FROM loan_import i WHERE {}",
            condition.replace("{row}", "i")
        ),
    );
    let refused: Vec<Refused> = on_inner!(conn, c => diesel::sql_query(&select)
        .bind::<Text, _>(&low)
        .bind::<Text, _>(&high)
        .load(c)?);
    if !refused.is_empty() {
        let delete = dialect(
            conn,
            &format!(
                "DELETE FROM loan_import WHERE {}",
                condition.replace("{row}", "loan_import")
            ),
        );
        on_inner!(conn, c => diesel::sql_query(&delete)
            .bind::<Text, _>(&low)
            .bind::<Text, _>(&high)
            .execute(c)?);
    }
    Ok(refused.into_iter().map(|r| (r.line, r.loan_no)).collect())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// When the staged part holds a loan and date more than once, the last line of each wins, as if the
/// rows had been recorded one after another. The index is made the first time it is needed.
pub fn keep_last_of_repeats(conn: &mut DbConn) -> AppResult<()> {
    conn.batch_execute(
        "CREATE INDEX IF NOT EXISTS loan_import_key ON loan_import (loan_no, as_of, line); \
         DELETE FROM loan_import WHERE EXISTS (SELECT 1 FROM loan_import j \
         WHERE j.loan_no = loan_import.loan_no AND j.as_of = loan_import.as_of \
         AND j.line > loan_import.line)",
    )?;
    Ok(())
}

/// Merges the staged part and empties the staging table: each row is the loan's snapshot of its
/// date, replacing one of the same loan and date (a later part's row replaces an earlier one's, as
/// if recorded one after another). Rows matching `flagged` (SQL over the columns of `s`) are
/// remembered for [`flag_candidates`]. Returns the number of loans that were new.
pub fn merge(conn: &mut DbConn, flagged: &str) -> AppResult<u64> {
    let created: Vec<Count> = on_inner!(conn, c => diesel::sql_query(
        "SELECT COUNT(DISTINCT loan_no) AS n FROM loan_import i \
         WHERE NOT EXISTS (SELECT 1 FROM loan_snapshots s WHERE s.loan_no = i.loan_no)"
    )
    .load(c)?);
    // PostgreSQL cannot vacuum inside the transaction: emptied by DELETE, the staging table would
    // keep every earlier part's rows as dead ones for each later part's scans to step over.
    let empty = match conn {
        DbConn::Sqlite(_) => "DELETE FROM loan_import",
        DbConn::Pg(_) => "TRUNCATE loan_import",
    };
    conn.batch_execute(&format!(
        "INSERT INTO loan_snapshots (loan_no, as_of, customer_id, rm_id, balance_fen, originated_on, \
         classification, interest_due_fen, interest_paid_fen, days_past_due, matures_on) \
         SELECT loan_no, as_of, customer_id, rm_id, balance_fen, originated_on, classification, \
         interest_due_fen, interest_paid_fen, days_past_due, matures_on FROM loan_import WHERE 1 = 1 \
         ON CONFLICT (loan_no, as_of) DO UPDATE SET customer_id = excluded.customer_id, \
         rm_id = excluded.rm_id, balance_fen = excluded.balance_fen, \
         originated_on = excluded.originated_on, classification = excluded.classification, \
         interest_due_fen = excluded.interest_due_fen, \
         interest_paid_fen = excluded.interest_paid_fen, days_past_due = excluded.days_past_due, \
         matures_on = excluded.matures_on; \
         INSERT INTO loan_import_flagged (loan_no, as_of) \
         SELECT s.loan_no, s.as_of FROM loan_import s WHERE {flagged}; {empty}"
    ))?;
    Ok(created.first().map(|c| c.n as u64).unwrap_or(0))
}

/// A customer the staged rows call for a flag on, with the loan that shows it.
#[derive(Debug, QueryableByName)]
pub struct FlagCandidate {
    #[diesel(sql_type = Text)]
    pub customer_id: String,
    #[diesel(sql_type = Text)]
    pub loan_no: String,
    #[diesel(sql_type = Date)]
    pub as_of: NaiveDate,
}

/// customers with a loan whose snapshot, as merged by this import, matches `condition` (SQL
/// over the columns of `s`), and no open flag of `kind` yet. The snapshot is read back rather than
/// the input row, so that a row replaced by a later one of the same loan and date raises nothing.
pub fn flag_candidates(
    conn: &mut DbConn,
    condition: &str,
    kind: &str,
) -> AppResult<Vec<FlagCandidate>> {
    let sql = dialect(
        conn,
        &format!(
            "SELECT s.customer_id, MIN(s.loan_no) AS loan_no, MAX(s.as_of) AS as_of \
             FROM loan_import_flagged i \
             JOIN loan_snapshots s ON s.loan_no = i.loan_no AND s.as_of = i.as_of \
             WHERE {condition} AND NOT EXISTS (SELECT 1 FROM flags f \
             WHERE f.customer_id = s.customer_id AND f.kind = $1 AND f.status <> 'resolved') \
             GROUP BY s.customer_id ORDER BY s.customer_id"
        ),
    );
    Ok(on_inner!(conn, c => diesel::sql_query(&sql).bind::<Text, _>(kind).load(c)?))
}

/// Drops the staging tables.
pub fn finish(conn: &mut DbConn) -> AppResult<()> {
    conn.batch_execute("DROP TABLE loan_import; DROP TABLE loan_import_flagged")?;
    Ok(())
}
