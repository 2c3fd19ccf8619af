//! Loans: a snapshot per loan and as-of date; a loan's current state is its newest snapshot.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp};

use super::schema::{loan_snapshots, loans};
use super::DbConn;
use crate::error::AppResult;

/// One loan as of one date.
#[derive(Debug, Clone, Queryable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = loan_snapshots)]
pub struct SnapshotRow {
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
    /// the day the loan falls due.
    pub matures_on: Option<NaiveDate>,
}

/// Writes the snapshot, replacing one of the same loan and date. The loan's current state is its
/// newest snapshot (the `loans` view). Returns whether the loan was new.
pub fn upsert(conn: &mut DbConn, s: &SnapshotRow) -> AppResult<bool> {
    let dates: Vec<NaiveDate> = loan_snapshots::table
        .filter(loan_snapshots::loan_no.eq(&s.loan_no))
        .select(loan_snapshots::as_of)
        .load(conn)?;
    if dates.contains(&s.as_of) {
        diesel::update(loan_snapshots::table.find((&s.loan_no, s.as_of)))
            .set(s)
            .execute(conn)?;
    } else {
        diesel::insert_into(loan_snapshots::table)
            .values(s)
            .execute(conn)?;
    }
    Ok(dates.is_empty())
}

/// the loan book of each RM at the end of `date`: per RM holding customers with loans as primary
/// then, the number of loan customers, and the customers whose latest loan state on or before
/// `date` leaves interest unpaid. Computed in the database: one pass over the snapshots, folded per
/// borrower, each borrower then looked up once in the assignments (a customer has one primary RM at
/// a time).
pub struct Books {
    pub loan_customers: std::collections::BTreeMap<String, u32>,
    /// (rm_id, customer_id), ordered.
    pub overdue: Vec<(String, String)>,
}

#[derive(QueryableByName)]
struct BookRow {
    #[diesel(sql_type = Text)]
    rm_id: String,
    #[diesel(sql_type = Nullable<Text>)]
    customer_id: Option<String>,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub fn books_at(
    conn: &mut DbConn,
    scope: &str,
    date: NaiveDate,
    clock: &crate::clock::Clock,
) -> AppResult<Books> {
    let (low, high) = super::subtree_range(scope);
    // P-2: the end of the business day in the bank's time zone, as the assignments store instants.
    let end_of_day = clock.instant_of(date.succ_opt().unwrap_or(date), chrono::NaiveTime::MIN)
        - chrono::Duration::microseconds(1);
    // The whole bank's evaluation needs no per-customer scope test.
    let (customers, in_scope) = if super::org_units::is_whole_bank(conn, scope)? {
        ("", "$1 = $1 AND $2 = $2")
    } else {
        (
            "JOIN customers c ON c.id = x.customer_id",
            "c.org_path >= $1 AND c.org_path < $2",
        )
    };
    let sql = format!(
        "WITH latest AS ( \
           SELECT s.customer_id, s.interest_due_fen, s.interest_paid_fen FROM loan_snapshots s \
           WHERE s.as_of <= $3 AND NOT EXISTS (SELECT 1 FROM loan_snapshots n \
             WHERE n.loan_no = s.loan_no AND n.as_of > s.as_of AND n.as_of <= $3)), \
         borrowers AS MATERIALIZED ( \
           SELECT customer_id, \
             MAX(CASE WHEN interest_paid_fen < interest_due_fen THEN 1 ELSE 0 END) AS overdue \
           FROM latest GROUP BY customer_id), \
         book AS MATERIALIZED ( \
           SELECT a.rm_id, x.customer_id, x.overdue FROM borrowers x {customers} \
           JOIN assignments a ON a.customer_id = x.customer_id \
           WHERE {in_scope} AND a.role = 'primary' \
             AND a.valid_from <= $4 AND (a.valid_to IS NULL OR a.valid_to > $4)) \
         SELECT rm_id, NULL AS customer_id, COUNT(*) AS n FROM book GROUP BY rm_id \
         UNION ALL \
         SELECT rm_id, customer_id, 1 AS n FROM book WHERE overdue = 1"
    );
    let sql = super::dialect(conn, &sql);
    let rows: Vec<BookRow> = super::on_inner!(conn, c => diesel::sql_query(&sql)
        .bind::<Text, _>(&low)
        .bind::<Text, _>(&high)
        .bind::<Date, _>(date)
        .bind::<Timestamp, _>(end_of_day)
        .load(c)?);
    let mut books = Books {
        loan_customers: Default::default(),
        overdue: Vec::new(),
    };
    for row in rows {
        match row.customer_id {
            None => {
                books.loan_customers.insert(row.rm_id, row.n as u32);
            }
            Some(customer) => books.overdue.push((row.rm_id, customer)),
        }
    }
    books.overdue.sort();
    Ok(books)
}

/// an evaluation already made for this date and scope.
pub fn evaluation(conn: &mut DbConn, as_of: NaiveDate, scope: &str) -> AppResult<Option<String>> {
    use super::schema::evaluations as e;
    Ok(e::table
        .find((as_of, scope))
        .select(e::summary)
        .first(conn)
        .optional()?)
}

/// O-1: whether the loan is recorded for a borrower outside the subtree `scope`.
pub fn borrower_outside(conn: &mut DbConn, loan_no: &str, scope: &str) -> AppResult<bool> {
    use super::schema::customers;
    let (low, high) = super::subtree_range(scope);
    let n: i64 = loans::table
        .inner_join(customers::table)
        .filter(loans::loan_no.eq(loan_no))
        .filter(customers::org_path.lt(low).or(customers::org_path.ge(high)))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

pub fn insert_evaluation(
    conn: &mut DbConn,
    as_of: NaiveDate,
    scope: &str,
    policy_version: i64,
    summary: &str,
    by: &str,
    at: NaiveDateTime,
) -> AppResult<()> {
    use super::schema::evaluations as e;
    diesel::insert_into(e::table)
        .values((
            e::as_of.eq(as_of),
            e::org_path.eq(scope),
            e::policy_version.eq(policy_version),
            e::summary.eq(summary),
            e::created_by.eq(by),
            e::created_at.eq(at),
        ))
        .execute(conn)?;
    Ok(())
}

/// R-4 now: for each of these customers, whether any of its loans (latest state) has unpaid
/// interest; customers without loans are absent.
pub fn overdue_by_customer(
    conn: &mut DbConn,
    customer_ids: &[String],
) -> AppResult<std::collections::HashMap<String, bool>> {
    let rows: Vec<(String, i64, i64)> = loans::table
        .filter(loans::customer_id.eq_any(customer_ids))
        .select((
            loans::customer_id,
            loans::interest_due_fen,
            loans::interest_paid_fen,
        ))
        .load(conn)?;
    let mut out = std::collections::HashMap::new();
    for (customer, due, paid) in rows {
        let overdue = out.entry(customer).or_insert(false);
        *overdue |= crate::domain::loan::has_overdue_interest(due, paid);
    }
    Ok(out)
}

/// the loans of the customers an RM holds as primary now:
/// (loan_no, customer_id, customer name, balance fen, matures_on, interest due fen, interest paid fen).
pub type BookLoan = (String, String, String, i64, Option<NaiveDate>, i64, i64);

pub fn of_rm_book(conn: &mut DbConn, rm_id: &str, scope: &str) -> AppResult<Vec<BookLoan>> {
    use super::schema::{assignments, customers};
    let (low, high) = super::subtree_range(scope);
    Ok(loans::table
        .inner_join(customers::table.on(customers::id.eq(loans::customer_id)))
        .inner_join(assignments::table.on(assignments::customer_id.eq(loans::customer_id)))
        .filter(assignments::rm_id.eq(rm_id))
        .filter(assignments::role.eq("primary"))
        .filter(assignments::valid_to.is_null())
        .filter(customers::org_path.ge(low))
        .filter(customers::org_path.lt(high))
        .select((
            loans::loan_no,
            loans::customer_id,
            customers::name,
            loans::balance_fen,
            loans::matures_on,
            loans::interest_due_fen,
            loans::interest_paid_fen,
        ))
        .order(loans::loan_no.asc())
        .load(conn)?)
}

/// the guarantors of a customer: (id, name).
pub fn guarantors(
    conn: &mut DbConn,
    customer_id: &str,
    scope: &str,
) -> AppResult<Vec<(String, String)>> {
    use super::schema::{customer_relations as r, customers};
    let (low, high) = super::subtree_range(scope);
    Ok(r::table
        .inner_join(customers::table.on(customers::id.eq(r::customer_id)))
        .filter(r::related_customer_id.eq(customer_id))
        .filter(customers::org_path.ge(low))
        .filter(customers::org_path.lt(high))
        .filter(r::kind.eq("guarantor_of"))
        .select((customers::id, customers::name))
        .load(conn)?)
}

/// every snapshot of these loans, oldest first per loan: (loan_no, as_of, balance fen,
/// classification).
fn snapshots_of<T: AsRef<str>>(
    conn: &mut DbConn,
    loan_nos: &[T],
) -> AppResult<Vec<(String, NaiveDate, i64, String)>> {
    let loan_nos: Vec<&str> = loan_nos.iter().map(AsRef::as_ref).collect();
    Ok(loan_snapshots::table
        .filter(loan_snapshots::loan_no.eq_any(&loan_nos))
        .select((
            loan_snapshots::loan_no,
            loan_snapshots::as_of,
            loan_snapshots::balance_fen,
            loan_snapshots::classification,
        ))
        .order((loan_snapshots::loan_no.asc(), loan_snapshots::as_of.asc()))
        .load(conn)?)
}

/// R-5 with A-7 for many RMs at once (the monthly run): the loans each RM in `rms` (id, term
/// start) answers for, as `responsible_states` reads them for one, from three reads of the book:
/// the RMs' active shares, the loans they originated or whose borrowers they hold, and those loans'
/// snapshots.
pub fn responsible_states_of_many(
    conn: &mut DbConn,
    rms: &[(String, NaiveDate)],
) -> AppResult<std::collections::HashMap<String, Vec<ResponsibleState>>> {
    use super::schema::assignments;
    use std::collections::HashMap;
    let ids: Vec<&str> = rms.iter().map(|(id, _)| id.as_str()).collect();
    let mut shares: HashMap<String, Vec<(String, i64)>> = HashMap::new(); // customer -> (rm, bp)
    let mut originated: Vec<(String, String, String, NaiveDate)> = Vec::new();
    for chunk in ids.chunks(500) {
        for (rm, customer, bp) in assignments::table
            .filter(assignments::rm_id.eq_any(chunk))
            .filter(assignments::valid_to.is_null())
            .select((
                assignments::rm_id,
                assignments::customer_id,
                assignments::share_bp,
            ))
            .load::<(String, String, i32)>(conn)?
        {
            shares
                .entry(customer)
                .or_default()
                .push((rm, i64::from(bp)));
        }
        originated.extend(
            loans::table
                .filter(loans::rm_id.eq_any(chunk))
                .select((
                    loans::loan_no,
                    loans::customer_id,
                    loans::rm_id,
                    loans::originated_on,
                ))
                .load::<(String, String, String, NaiveDate)>(conn)?,
        );
    }
    // The RMs hold far more customers than there are loans: one read of the loan book, kept for
    // the held borrowers, costs less than a lookup per customer.
    let held: Vec<(String, String, String, NaiveDate)> = loans::table
        .select((
            loans::loan_no,
            loans::customer_id,
            loans::rm_id,
            loans::originated_on,
        ))
        .load::<(String, String, String, NaiveDate)>(conn)?
        .into_iter()
        .filter(|(_, customer, _, _)| shares.contains_key(customer))
        .collect();
    let since: HashMap<&str, NaiveDate> = rms.iter().map(|(id, d)| (id.as_str(), *d)).collect();
    // loan -> [(rm, bp)]: the holders' shares, or the originator whole when it holds no share.
    let mut answerable: HashMap<String, Vec<(String, i64)>> = HashMap::new();
    for (loan_no, customer, originator, originated_on) in originated.into_iter().chain(held) {
        let mut parts: Vec<(String, i64)> = shares.get(&customer).cloned().unwrap_or_default();
        if !parts.iter().any(|(rm, _)| *rm == originator) && since.contains_key(originator.as_str())
        {
            parts.push((originator, 10_000));
        }
        parts.retain(|(rm, _)| since.get(rm.as_str()).is_some_and(|d| originated_on >= *d));
        if !parts.is_empty() {
            answerable.insert(loan_no, parts);
        }
    }
    let loan_nos: Vec<&String> = answerable.keys().collect();
    let mut out: HashMap<String, Vec<ResponsibleState>> = HashMap::new();
    for chunk in loan_nos.chunks(500) {
        for (no, as_of, balance, class) in snapshots_of(conn, chunk)? {
            for (rm, bp) in answerable.get(&no).into_iter().flatten() {
                out.entry(rm.clone()).or_default().push((
                    no.clone(),
                    as_of,
                    balance,
                    class.clone(),
                    *bp,
                ));
            }
        }
    }
    Ok(out)
}

/// One snapshot of a loan an RM answers for, with its part of it (basis points).
pub type ResponsibleState = (String, NaiveDate, i64, String, i64);

/// R-5 with A-7 ("责任共分担"): every snapshot of the loans originated on or after `since` that
/// the RM answers for: those of the borrowers it holds, weighed by its share of the borrower, and
/// those it originated for borrowers it no longer holds, whole.
pub fn responsible_states(
    conn: &mut DbConn,
    rm_id: &str,
    since: NaiveDate,
) -> AppResult<Vec<ResponsibleState>> {
    use super::schema::assignments;
    use std::collections::HashMap;
    let held: HashMap<String, i64> = assignments::table
        .filter(assignments::rm_id.eq(rm_id))
        .filter(assignments::valid_to.is_null())
        .select((assignments::customer_id, assignments::share_bp))
        .load::<(String, i32)>(conn)?
        .into_iter()
        .map(|(c, bp)| (c, i64::from(bp)))
        .collect();
    let held_ids: Vec<&String> = held.keys().collect();
    // Two indexed reads (by originating RM, by borrower) rather than one `OR` that scans.
    let mut loans_: Vec<(String, String)> = loans::table
        .filter(loans::originated_on.ge(since))
        .filter(loans::rm_id.eq(rm_id))
        .select((loans::loan_no, loans::customer_id))
        .load(conn)?;
    if !held_ids.is_empty() {
        loans_.extend(
            loans::table
                .filter(loans::originated_on.ge(since))
                .filter(loans::customer_id.eq_any(&held_ids))
                .select((loans::loan_no, loans::customer_id))
                .load::<(String, String)>(conn)?,
        );
    }
    let share: HashMap<&str, i64> = loans_
        .iter()
        .map(|(no, customer)| (no.as_str(), held.get(customer).copied().unwrap_or(10_000)))
        .collect();
    let loan_nos: Vec<&str> = share.keys().copied().collect();
    Ok(snapshots_of(conn, &loan_nos)?
        .into_iter()
        .map(|(no, as_of, balance, class)| {
            let bp = share.get(no.as_str()).copied().unwrap_or(10_000);
            (no, as_of, balance, class, bp)
        })
        .collect())
}
