//! Assignments: effective-dated rows, never rewritten; a change ends a row and opens another.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{assignments, customers, rms};
use super::DbConn;
use crate::domain::assignment::{AssignmentRole, Holder};
use crate::domain::rm::Grade;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = assignments, treat_none_as_default_value = false)]
pub struct AssignmentRow {
    pub id: String,
    pub customer_id: String,
    pub rm_id: String,
    pub role: String,
    /// A-7 share in basis points of 1 (10000 = 1.0).
    pub share_bp: i32,
    pub reason: String,
    pub valid_from: NaiveDateTime,
    pub valid_to: Option<NaiveDateTime>,
    /// since when this RM has held the customer in this role (kept across share changes).
    pub held_since: NaiveDateTime,
    pub created_by: String,
}

pub fn insert(conn: &mut DbConn, row: &AssignmentRow) -> AppResult<()> {
    diesel::insert_into(assignments::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn find(conn: &mut DbConn, id: &str) -> AppResult<Option<AssignmentRow>> {
    Ok(assignments::table.find(id).first(conn).optional()?)
}

/// Ends an active row at `at`; 409 when someone ended it first.
pub fn end(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> AppResult<()> {
    let n = diesel::update(
        assignments::table
            .filter(assignments::id.eq(id))
            .filter(assignments::valid_to.is_null()),
    )
    .set(assignments::valid_to.eq(Some(at)))
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::VersionConflict(format!(
            "assignment {id} has ended already"
        )));
    }
    Ok(())
}

/// Takes the customer's row lock (PostgreSQL; SQLite has one writer) so that concurrent changes
/// to its assignments queue instead of racing. Returns the instant the lock was taken: the time
/// of the change, so that history is ordered the way the changes commit.
pub fn lock_customer(
    conn: &mut DbConn,
    customer_id: &str,
    clock: &crate::clock::Clock,
) -> AppResult<NaiveDateTime> {
    diesel::update(customers::table.find(customer_id))
        .set(customers::version.eq(customers::version))
        .execute(conn)?;
    Ok(clock.now())
}

/// Takes the RM's row lock, so that concurrent assignments to the RM cannot both pass the cap.
pub fn lock_rm(conn: &mut DbConn, rm_id: &str) -> AppResult<()> {
    diesel::update(rms::table.find(rm_id))
        .set(rms::version.eq(rms::version))
        .execute(conn)?;
    Ok(())
}

/// The customer's assignments in force, with each RM's grade.
pub fn active_for_customer(
    conn: &mut DbConn,
    customer_id: &str,
) -> AppResult<Vec<(AssignmentRow, String)>> {
    Ok(assignments::table
        .inner_join(rms::table)
        .filter(assignments::customer_id.eq(customer_id))
        .filter(assignments::valid_to.is_null())
        .select((assignments::all_columns, rms::grade))
        .order(assignments::valid_from.asc())
        .load(conn)?)
}

pub fn holders(active: &[(AssignmentRow, String)]) -> AppResult<Vec<Holder>> {
    active
        .iter()
        .map(|(a, grade)| {
            Ok(Holder {
                rm_id: a.rm_id.clone(),
                role: AssignmentRole::stored(&a.role)?,
                grade: Grade::stored(grade)?,
                share: share_of(a.share_bp),
            })
        })
        .collect()
}

pub fn share_of(bp: i32) -> rust_decimal::Decimal {
    rust_decimal::Decimal::new(bp as i64, 4).normalize()
}

pub fn bp_of(share: rust_decimal::Decimal) -> i32 {
    (share * rust_decimal::Decimal::from(10_000))
        .round()
        .try_into()
        .unwrap_or(0)
}

/// the RM's load, (key accounts, VIP customers) among the customers it holds in force. A
/// customer with a loan outstanding counts as a key account (002 "重点管户,贷款户及重点存款客户").
/// The database keeps the figures with every assignment, marker and loan snapshot written, on every
/// path (migration `rm_loads`, `super::kept`): a read costs a row and the changes not yet folded.
pub fn rm_load(conn: &mut DbConn, rm_id: &str) -> AppResult<(u32, u32)> {
    Ok(rm_loads(conn, &[rm_id.to_string()])?
        .remove(rm_id)
        .unwrap_or_default())
}

/// [`rm_load`] for many RMs: (key accounts, VIP customers) by RM id.
pub fn rm_loads(
    conn: &mut DbConn,
    rm_ids: &[String],
) -> AppResult<std::collections::HashMap<String, (u32, u32)>> {
    use super::schema::{rm_load_changes as changes, rm_loads};
    let kept: Vec<(String, i32, i32)> = super::in_chunks(rm_ids, |chunk| {
        Ok(rm_loads::table
            .filter(rm_loads::rm_id.eq_any(chunk))
            .select((
                rm_loads::rm_id,
                rm_loads::key_accounts,
                rm_loads::vip_customers,
            ))
            .load(conn)?)
    })?;
    let changed: Vec<(String, Option<i64>, Option<i64>)> = super::in_chunks(rm_ids, |chunk| {
        Ok(changes::table
            .filter(changes::rm_id.eq_any(chunk))
            .group_by(changes::rm_id)
            .select((
                changes::rm_id,
                diesel::dsl::sum(changes::key_accounts),
                diesel::dsl::sum(changes::vip_customers),
            ))
            .load(conn)?)
    })?;
    let mut sums: std::collections::HashMap<String, (i64, i64)> = Default::default();
    let kept = kept
        .into_iter()
        .map(|(rm, key, vip)| (rm, i64::from(key), i64::from(vip)));
    let changed = changed
        .into_iter()
        .map(|(rm, key, vip)| (rm, key.unwrap_or(0), vip.unwrap_or(0)));
    for (rm, key, vip) in kept.chain(changed) {
        let sum = sums.entry(rm).or_default();
        sum.0 += key;
        sum.1 += vip;
    }
    sums.into_iter()
        .map(|(rm, (key, vip))| {
            let count = |n: i64| {
                u32::try_from(n).map_err(|_| {
                    AppError::Internal(format!("the kept load of RM {rm} adds up to {n}"))
                })
            };
            Ok((rm.clone(), (count(key)?, count(vip)?)))
        })
        .collect()
}

/// The RM's assignments in force with their customers.
pub fn active_for_rm(
    conn: &mut DbConn,
    rm_id: &str,
) -> AppResult<Vec<(AssignmentRow, super::customers::CustomerRow)>> {
    Ok(assignments::table
        .inner_join(customers::table)
        .filter(assignments::rm_id.eq(rm_id))
        .filter(assignments::valid_to.is_null())
        .select((assignments::all_columns, customers::all_columns))
        .order(assignments::valid_from.asc())
        .load(conn)?)
}

/// the whole history of a customer, oldest first; with `as_of`, only the rows in force then.
/// A-1 / M-1: the RM who last held the customer as primary, ended or not.
pub fn last_primary(conn: &mut DbConn, customer_id: &str) -> AppResult<Option<String>> {
    Ok(assignments::table
        .filter(assignments::customer_id.eq(customer_id))
        .filter(assignments::role.eq("primary"))
        .order((assignments::valid_from.desc(), assignments::id.desc()))
        .select(assignments::rm_id)
        .first(conn)
        .optional()?)
}

/// whether the customer has a loan outstanding (it counts as a key account).
pub fn has_loan_outstanding(conn: &mut DbConn, customer_id: &str) -> AppResult<bool> {
    use super::schema::loans;
    Ok(diesel::select(diesel::dsl::exists(
        loans::table
            .filter(loans::customer_id.eq(customer_id))
            .filter(loans::balance_fen.gt(0)),
    ))
    .get_result(conn)?)
}

pub fn history(
    conn: &mut DbConn,
    customer_id: &str,
    as_of: Option<NaiveDateTime>,
) -> AppResult<Vec<AssignmentRow>> {
    let mut query = assignments::table
        .filter(assignments::customer_id.eq(customer_id))
        .into_boxed();
    if let Some(at) = as_of {
        query = query.filter(assignments::valid_from.le(at)).filter(
            assignments::valid_to
                .is_null()
                .or(assignments::valid_to.gt(at)),
        );
    }
    Ok(query
        .order((assignments::valid_from.asc(), assignments::id.asc()))
        .load(conn)?)
}

/// Customers the RM holds in any active role.
pub fn rm_customer_count(conn: &mut DbConn, rm_id: &str) -> AppResult<u32> {
    let n: i64 = assignments::table
        .filter(assignments::rm_id.eq(rm_id))
        .filter(assignments::valid_to.is_null())
        .count()
        .get_result(conn)?;
    Ok(n as u32)
}

/// every assignment in force for customers of a subtree, with the customer.
pub fn active_in_subtree(
    conn: &mut DbConn,
    scope: &str,
) -> AppResult<Vec<(AssignmentRow, super::customers::CustomerRow)>> {
    let (low, high) = super::subtree_range(scope);
    Ok(assignments::table
        .inner_join(customers::table)
        .filter(customers::org_path.ge(low))
        .filter(customers::org_path.lt(high))
        .filter(assignments::valid_to.is_null())
        .select((assignments::all_columns, customers::all_columns))
        .load(conn)?)
}

/// loan balance per customer of a subtree, in fen.
pub fn loan_balances_in_subtree(
    conn: &mut DbConn,
    scope: &str,
) -> AppResult<std::collections::HashMap<String, i64>> {
    use super::schema::loans;
    let (low, high) = super::subtree_range(scope);
    let rows: Vec<(String, i64)> = loans::table
        .inner_join(customers::table)
        .filter(customers::org_path.ge(low))
        .filter(customers::org_path.lt(high))
        .select((loans::customer_id, loans::balance_fen))
        .load(conn)?;
    let mut out = std::collections::HashMap::new();
    for (customer, balance) in rows {
        *out.entry(customer).or_insert(0) += balance;
    }
    Ok(out)
}

/// customers of a subtree that carry an A-6 marker, a page by id.
pub fn needing_second_rm(
    conn: &mut DbConn,
    scope: &str,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<(Vec<super::customers::CustomerRow>, Option<String>)> {
    use super::schema::second_rm_queue as queue;
    // The queue's rows are kept by the database with every change of a marker or of the holders;
    // a page walks its (org_path, customer_id) index.
    let (low, high) = super::subtree_range(scope);
    let mut query = queue::table
        .inner_join(customers::table)
        .filter(queue::org_path.ge(low))
        .filter(queue::org_path.lt(high))
        .select(customers::all_columns)
        .into_boxed();
    if let Some(c) = cursor {
        let (org_path, id) = c
            .split_once('|')
            .ok_or_else(|| AppError::field("cursor", "not a cursor returned by this list"))?;
        query = query
            .filter(queue::org_path.ge(org_path.to_string()))
            .filter(
                queue::org_path
                    .gt(org_path.to_string())
                    .or(queue::customer_id.gt(id.to_string())),
            );
    }
    let mut rows: Vec<super::customers::CustomerRow> = query
        .order((queue::org_path.asc(), queue::customer_id.asc()))
        .limit(limit + 1)
        .load(conn)?;
    if rows.len() as i64 <= limit {
        return Ok((rows, None));
    }
    rows.truncate(limit as usize);
    let next = rows.last().map(|c| format!("{}|{}", c.org_path, c.id));
    Ok((rows, next))
}

/// How many RMs hold each of these customers now.
pub fn holder_counts(
    conn: &mut DbConn,
    customer_ids: &[String],
) -> AppResult<std::collections::HashMap<String, u32>> {
    let ids: Vec<String> = assignments::table
        .filter(assignments::customer_id.eq_any(customer_ids))
        .filter(assignments::valid_to.is_null())
        .select(assignments::customer_id)
        .load(conn)?;
    let mut out = std::collections::HashMap::new();
    for id in ids {
        *out.entry(id).or_insert(0) += 1;
    }
    Ok(out)
}

/// primary assignments of a subtree held since before `held_before`, longest tenure first,
/// a page after `cursor`, and the cursor of the next page. Walks the partial index of primaries in
/// force by tenure, so a page costs its own size whatever the scope.
pub fn primaries_held_before(
    conn: &mut DbConn,
    scope: &str,
    held_before: NaiveDateTime,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<(Vec<AssignmentRow>, Option<String>)> {
    use diesel::dsl::sql;
    use diesel::sql_types::Bool;
    const FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.f";
    // SQLite would walk the subtree's customers first; the index of primaries by tenure (the
    // page's order) drives instead, checking each one's subtree.
    let mut query = assignments::table
        .inner_join(customers::table)
        .filter(super::in_subtree_per_row!(
            conn,
            "customers.org_path",
            scope
        ))
        .filter(assignments::valid_to.is_null())
        // A literal, so that SQLite may use the partial index (a bound value cannot match it).
        .filter(sql::<Bool>("assignments.role = 'primary'"))
        .filter(assignments::held_since.le(held_before))
        .select(assignments::all_columns)
        .into_boxed();
    if let Some(c) = cursor {
        let (at, id) = c
            .split_once('|')
            .and_then(|(at, id)| Some((NaiveDateTime::parse_from_str(at, FORMAT).ok()?, id)))
            .ok_or_else(|| AppError::field("cursor", "not a cursor returned by this list"))?;
        query = query.filter(assignments::held_since.ge(at)).filter(
            assignments::held_since
                .gt(at)
                .or(assignments::id.gt(id.to_string())),
        );
    }
    let mut rows: Vec<AssignmentRow> = query
        .order((assignments::held_since.asc(), assignments::id.asc()))
        .limit(limit + 1)
        .load(conn)?;
    if rows.len() as i64 <= limit {
        return Ok((rows, None));
    }
    rows.truncate(limit as usize);
    let next = rows
        .last()
        .map(|a| format!("{}|{}", a.held_since.format(FORMAT), a.id));
    Ok((rows, next))
}

/// Primaries in force in the subtree whose tenure started in `[from, to)`.
pub fn primaries_held_from(
    conn: &mut DbConn,
    scope: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> AppResult<Vec<AssignmentRow>> {
    use diesel::dsl::sql;
    use diesel::sql_types::Bool;
    // As `primaries_held_before`: the index of primaries by tenure drives, not the subtree.
    Ok(assignments::table
        .inner_join(customers::table)
        .filter(super::in_subtree_per_row!(
            conn,
            "customers.org_path",
            scope
        ))
        .filter(assignments::valid_to.is_null())
        .filter(sql::<Bool>("assignments.role = 'primary'"))
        .filter(assignments::held_since.ge(from))
        .filter(assignments::held_since.lt(to))
        .select(assignments::all_columns)
        .order(assignments::id.asc())
        .load(conn)?)
}

/// primary assignments of a subtree whose customer changed tier after the RM took it over,
/// with the latest change.
pub fn primaries_after_tier_change(
    conn: &mut DbConn,
    scope: &str,
) -> AppResult<Vec<(AssignmentRow, NaiveDateTime)>> {
    use super::schema::customer_tier_changes as t;
    // The changes first (few), then the primaries of their customers: never a walk of the subtree.
    let mut latest: std::collections::HashMap<String, NaiveDateTime> = Default::default();
    for (customer, at) in t::table
        .inner_join(customers::table.on(customers::id.eq(t::customer_id)))
        .filter(super::in_subtree_per_row!(
            conn,
            "customers.org_path",
            scope
        ))
        .select((t::customer_id, t::changed_at))
        .load::<(String, NaiveDateTime)>(conn)?
    {
        let entry = latest.entry(customer).or_insert(at);
        *entry = (*entry).max(at);
    }
    let ids: Vec<String> = latest.keys().cloned().collect();
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        let primaries: Vec<AssignmentRow> = assignments::table
            .filter(assignments::customer_id.eq_any(chunk))
            .filter(assignments::valid_to.is_null())
            .filter(assignments::role.eq("primary"))
            .load(conn)?;
        for a in primaries {
            if let Some(&at) = latest.get(&a.customer_id) {
                if at > a.held_since {
                    out.push((a, at));
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    Ok(out)
}

/// the primary RM of each customer of a subtree at instant `at`.
pub fn primaries_at(
    conn: &mut DbConn,
    scope: &str,
    at: NaiveDateTime,
) -> AppResult<std::collections::HashMap<String, String>> {
    let (low, high) = super::subtree_range(scope);
    let rows: Vec<(String, String)> = assignments::table
        .inner_join(customers::table)
        .filter(customers::org_path.ge(low))
        .filter(customers::org_path.lt(high))
        .filter(assignments::role.eq("primary"))
        .filter(assignments::valid_from.le(at))
        .filter(
            assignments::valid_to
                .is_null()
                .or(assignments::valid_to.gt(at)),
        )
        .select((assignments::customer_id, assignments::rm_id))
        .load(conn)?;
    Ok(rows.into_iter().collect())
}

/// M-3 exports: every assignment row (history included) of customers in a subtree, by id.
pub fn history_in_subtree(
    conn: &mut DbConn,
    scope: &str,
    after_id: Option<&str>,
    limit: i64,
) -> AppResult<Vec<AssignmentRow>> {
    let (low, high) = super::subtree_range(scope);
    let mut q = assignments::table
        .inner_join(customers::table)
        .filter(customers::org_path.ge(low))
        .filter(customers::org_path.lt(high))
        .select(assignments::all_columns)
        .into_boxed();
    if let Some(after) = after_id {
        q = q.filter(assignments::id.gt(after.to_string()));
    }
    Ok(q.order(assignments::id.asc()).limit(limit).load(conn)?)
}

/// Every assignment, past and present, of these customers.
pub fn of_customers(conn: &mut DbConn, ids: &[String]) -> AppResult<Vec<AssignmentRow>> {
    let mut found = Vec::new();
    for part in ids.chunks(1000) {
        found.extend(
            assignments::table
                .filter(assignments::customer_id.eq_any(part))
                .load::<AssignmentRow>(conn)?,
        );
    }
    Ok(found)
}
