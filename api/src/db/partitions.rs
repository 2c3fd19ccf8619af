//! PostgreSQL's monthly partitions of the tables that grow without bound (`audit_events` by
//! `occurred_at`, `loan_snapshots` by `as_of`; migration 000030). Rows of a month without its
//! partition land in the table's default partition, never refused; the scheduler and each start
//! make the partitions of this business month and the next [`MONTHS_AHEAD`] before rows arrive.

use chrono::{Datelike, Months, NaiveDate};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Text};

use super::DbConn;
use crate::error::AppResult;

/// The tables partitioned by month.
pub const TABLES: [&str; 2] = ["audit_events", "loan_snapshots"];

/// Months made ahead of the current one.
pub const MONTHS_AHEAD: u32 = 2;

#[derive(QueryableByName)]
struct Made {
    #[diesel(sql_type = Bool)]
    made: bool,
}

/// Makes the partitions of `today`'s month and the next [`MONTHS_AHEAD`] that do not exist yet;
/// returns the ones made (`table` and first day). Nothing on SQLite.
pub fn create_ahead(
    conn: &mut DbConn,
    today: NaiveDate,
) -> AppResult<Vec<(&'static str, NaiveDate)>> {
    let DbConn::Pg(c) = conn else {
        return Ok(Vec::new());
    };
    let first = today.with_day(1).unwrap_or(today);
    let mut made = Vec::new();
    for ahead in 0..=MONTHS_AHEAD {
        let Some(month) = first.checked_add_months(Months::new(ahead)) else {
            continue;
        };
        for table in TABLES {
            let row: Made = diesel::sql_query("SELECT rmdesk_month_partition($1, $2) AS made")
                .bind::<Text, _>(table)
                .bind::<Date, _>(month)
                .get_result(c)?;
            if row.made {
                made.push((table, month));
            }
        }
    }
    Ok(made)
}
