//! Counts the database keeps with every change (an RM's A-3 load, the overview's open flags and
//! checks per unit): triggers append each change to a `*_changes` table, reads add the changes to
//! the totals, and [`fold`] moves the changes into the totals. Appending instead of updating a
//! total keeps a bulk transaction from rewriting one hot row per change.

use diesel::RunQueryDsl;

use super::{Db, DbConn};
use crate::error::AppResult;

/// Moves every change into its total, drops the totals that fell to zero, and returns how many
/// changes were moved. Run inside a write transaction.
pub fn fold(conn: &mut DbConn) -> AppResult<usize> {
    let statements: &[&str] = match conn {
        DbConn::Sqlite(_) => &[
            "INSERT INTO rm_loads(rm_id, key_accounts, vip_customers) \
             SELECT rm_id, sum(key_accounts), sum(vip_customers) FROM rm_load_changes WHERE true \
             GROUP BY rm_id ON CONFLICT (rm_id) DO UPDATE SET \
             key_accounts = rm_loads.key_accounts + excluded.key_accounts, \
             vip_customers = rm_loads.vip_customers + excluded.vip_customers",
            "DELETE FROM rm_load_changes",
            "INSERT INTO open_flag_counts(org_path, kind, severity, open) \
             SELECT org_path, kind, severity, sum(open) FROM open_flag_count_changes WHERE true \
             GROUP BY org_path, kind, severity ON CONFLICT (org_path, kind, severity) DO UPDATE SET \
             open = open_flag_counts.open + excluded.open",
            "DELETE FROM open_flag_count_changes",
            "INSERT INTO open_check_counts(org_path, due_on, open) \
             SELECT org_path, due_on, sum(open) FROM open_check_count_changes WHERE true \
             GROUP BY org_path, due_on ON CONFLICT (org_path, due_on) DO UPDATE SET \
             open = open_check_counts.open + excluded.open",
            "DELETE FROM open_check_count_changes",
        ],
        // One fold at a time (several servers share the database); each moves exactly the
        // changes it deletes.
        DbConn::Pg(_) => &[
            "SELECT pg_advisory_xact_lock(7426203)",
            "WITH moved AS (DELETE FROM rm_load_changes RETURNING rm_id, key_accounts, vip_customers) \
             INSERT INTO rm_loads(rm_id, key_accounts, vip_customers) \
             SELECT rm_id, sum(key_accounts), sum(vip_customers) FROM moved GROUP BY rm_id \
             ON CONFLICT (rm_id) DO UPDATE SET \
             key_accounts = rm_loads.key_accounts + excluded.key_accounts, \
             vip_customers = rm_loads.vip_customers + excluded.vip_customers",
            "WITH moved AS (DELETE FROM open_flag_count_changes RETURNING org_path, kind, severity, open) \
             INSERT INTO open_flag_counts(org_path, kind, severity, open) \
             SELECT org_path, kind, severity, sum(open) FROM moved GROUP BY org_path, kind, severity \
             ON CONFLICT (org_path, kind, severity) DO UPDATE SET \
             open = open_flag_counts.open + excluded.open",
            "WITH moved AS (DELETE FROM open_check_count_changes RETURNING org_path, due_on, open) \
             INSERT INTO open_check_counts(org_path, due_on, open) \
             SELECT org_path, due_on, sum(open) FROM moved GROUP BY org_path, due_on \
             ON CONFLICT (org_path, due_on) DO UPDATE SET open = open_check_counts.open + excluded.open",
        ],
    };
    let pending = pending(conn)?;
    if pending == 0 {
        return Ok(0);
    }
    for sql in statements {
        diesel::sql_query(*sql).execute(conn)?;
    }
    for sql in [
        "DELETE FROM open_flag_counts WHERE open = 0",
        "DELETE FROM open_check_counts WHERE open = 0",
        "DELETE FROM rm_loads WHERE key_accounts = 0 AND vip_customers = 0",
    ] {
        diesel::sql_query(sql).execute(conn)?;
    }
    Ok(pending)
}

/// How many changes wait to be folded.
fn pending(conn: &mut DbConn) -> AppResult<usize> {
    use super::schema::{open_check_count_changes, open_flag_count_changes, rm_load_changes};
    use diesel::QueryDsl;
    let n: i64 = rm_load_changes::table.count().get_result(conn)?;
    let f: i64 = open_flag_count_changes::table.count().get_result(conn)?;
    let c: i64 = open_check_count_changes::table.count().get_result(conn)?;
    Ok((n + f + c) as usize)
}

/// [`fold`] in its own write transaction.
pub fn fold_now(db: &Db) -> AppResult<usize> {
    let mut conn = db.writer()?;
    diesel::Connection::transaction(&mut *conn, fold)
}

/// On a running server: folds the changes every two seconds.
pub fn spawn_folder(db: Db) {
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let db = db.clone();
            match actix_web::web::block(move || fold_now(&db)).await {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "folding the kept counts failed"),
                Err(e) => tracing::error!(error = %e, "the kept-count thread failed"),
            }
        }
    });
}
