//! A-9 handovers and their moves.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{handover_moves, handovers};
use super::DbConn;
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Insertable, AsChangeset, serde::Serialize)]
#[diesel(table_name = handovers, treat_none_as_null = true)]
pub struct HandoverRow {
    pub id: String,
    pub from_rm_id: String,
    pub org_path: String,
    /// `proposed`, `confirmed` or `cancelled`.
    pub status: String,
    pub reason: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<NaiveDateTime>,
    pub version: i64,
}

#[derive(Debug, Clone, Queryable, Insertable, serde::Serialize)]
#[diesel(table_name = handover_moves)]
pub struct MoveRow {
    pub id: String,
    pub handover_id: String,
    pub assignment_id: String,
    pub customer_id: String,
    pub role: String,
    pub to_rm_id: Option<String>,
    /// Why this RM was proposed, or why none could be.
    pub note: String,
}

pub fn insert(conn: &mut DbConn, row: &HandoverRow, moves: &[MoveRow]) -> AppResult<()> {
    diesel::insert_into(handovers::table)
        .values(row)
        .execute(conn)?;
    for m in moves {
        diesel::insert_into(handover_moves::table)
            .values(m)
            .execute(conn)?;
    }
    Ok(())
}

/// the RM's handover still waiting for confirmation (at most one).
pub fn proposed_of_rm(conn: &mut DbConn, rm_id: &str) -> AppResult<Option<HandoverRow>> {
    Ok(handovers::table
        .filter(handovers::from_rm_id.eq(rm_id))
        .filter(handovers::status.eq("proposed"))
        .first(conn)
        .optional()?)
}

pub fn find(conn: &mut DbConn, id: &str) -> AppResult<Option<(HandoverRow, Vec<MoveRow>)>> {
    let Some(row) = handovers::table
        .find(id)
        .first::<HandoverRow>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let moves = handover_moves::table
        .filter(handover_moves::handover_id.eq(id))
        .order(handover_moves::id.asc())
        .load(conn)?;
    Ok(Some((row, moves)))
}

/// Writes the new state of a handover still `proposed` at `expected_version`.
pub fn update(conn: &mut DbConn, row: &HandoverRow, expected_version: i64) -> AppResult<()> {
    let n = diesel::update(
        handovers::table
            .filter(handovers::id.eq(&row.id))
            .filter(handovers::version.eq(expected_version))
            .filter(handovers::status.eq("proposed")),
    )
    .set(row)
    .execute(conn)?;
    if n == 0 {
        return Err(AppError::VersionConflict(format!(
            "handover {} changed or was confirmed meanwhile; reload it",
            row.id
        )));
    }
    Ok(())
}

pub fn set_target(conn: &mut DbConn, move_id: &str, to_rm_id: &str, note: &str) -> AppResult<()> {
    diesel::update(handover_moves::table.find(move_id))
        .set((
            handover_moves::to_rm_id.eq(Some(to_rm_id)),
            handover_moves::note.eq(note),
        ))
        .execute(conn)?;
    Ok(())
}

/// Handover plans in the subtree (optionally of one status), in id order after `cursor`, each
/// with its number of moves.
pub fn list(
    conn: &mut DbConn,
    scope: &str,
    status: Option<&str>,
    cursor: Option<&str>,
    limit: i64,
) -> AppResult<Vec<(HandoverRow, i64)>> {
    let (low, high) = super::subtree_range(scope);
    let mut q = handovers::table
        .filter(handovers::org_path.ge(low))
        .filter(handovers::org_path.lt(high))
        .into_boxed();
    if let Some(s) = status {
        q = q.filter(handovers::status.eq(s.to_string()));
    }
    if let Some(c) = cursor {
        q = q.filter(handovers::id.gt(c.to_string()));
    }
    let rows: Vec<HandoverRow> = q.order(handovers::id.asc()).limit(limit + 1).load(conn)?;
    let ids: Vec<String> = rows.iter().map(|h| h.id.clone()).collect();
    let counts: std::collections::HashMap<String, i64> = handover_moves::table
        .filter(handover_moves::handover_id.eq_any(&ids))
        .group_by(handover_moves::handover_id)
        .select((handover_moves::handover_id, diesel::dsl::count_star()))
        .load::<(String, i64)>(conn)?
        .into_iter()
        .collect();
    Ok(rows
        .into_iter()
        .map(|h| {
            let n = counts.get(&h.id).copied().unwrap_or(0);
            (h, n)
        })
        .collect())
}
