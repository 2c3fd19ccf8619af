//! `GET /rebalancing/proposals?org_unit_id=`.

use std::collections::HashMap;

use actix_web::{get, web};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Caller;
use crate::commands::assignments::{facts_of_customer, facts_of_rm};
use crate::db::{self, assignments as store};
use crate::domain::assignment::AssignmentRole;
use crate::domain::rebalancing::{self, Book, Desk, Move, Spread};
use crate::domain::rm::Grade;
use crate::error::{AppError, AppResult};
use crate::http::Query;
use crate::startup::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RebalancingQuery {
    /// The unit whose RMs (and its subtree's) are balanced.
    pub org_unit_id: String,
    /// At most this many moves (default 200, at most 10000).
    pub max_moves: Option<usize>,
}

/// Proposed moves and the spread of load before and after them. Nothing is applied: each move is
/// a `POST /customers/{id}/reassign` for a manager to make.
#[derive(Debug, Serialize, ToSchema)]
pub struct RebalancingProposal {
    pub org_unit_id: String,
    pub before: Spread,
    pub after: Spread,
    pub moves: Vec<Move>,
}

/// moves of primary customers that reduce the spread of customer count and value across the
/// unit's RMs while keeping A-3..A-5 (lines, caps, grades); customers needing approval stay.
#[utoipa::path(tag = "assignments", params(RebalancingQuery), responses((status = 200, body = RebalancingProposal)))]
#[get("/rebalancing/proposals")]
pub async fn proposals(
    state: web::Data<AppState>,
    caller: Caller,
    q: Query<RebalancingQuery>,
) -> AppResult<web::Json<RebalancingProposal>> {
    let q = q.0;
    let org_unit_id = q.org_unit_id.clone();
    let max_moves = q.max_moves.unwrap_or(200);
    if !(1..=10_000).contains(&max_moves) {
        return Err(AppError::field("max_moves", "must be between 1 and 10000"));
    }
    let today = caller.today();
    let (policy, mut desks) = state
        .db
        .read(move |conn| {
            let unit = db::org_units::get(conn, &q.org_unit_id, "org unit")?;
            caller.check_scope(&unit.path, "org unit")?;
            let (_, policy) = db::policy::current(conn)?;
            let rms = db::rms::active_in_subtree(conn, &unit.path)?;
            let grades: HashMap<String, Grade> = rms
                .iter()
                .map(|r| Ok((r.id.clone(), Grade::stored(&r.grade)?)))
                .collect::<AppResult<_>>()?;
            let values = store::loan_balances_in_subtree(conn, &unit.path)?;
            let flagged = db::flags::flagged_customers(conn, &unit.path)?;
            let active = store::active_in_subtree(conn, &unit.path)?;
            let mut others: HashMap<String, Vec<crate::domain::assignment::Holder>> =
                HashMap::new();
            for (a, _) in active.iter().filter(|(a, _)| a.role != "primary") {
                others.entry(a.customer_id.clone()).or_default().push(
                    crate::domain::assignment::Holder {
                        rm_id: a.rm_id.clone(),
                        role: AssignmentRole::stored(&a.role)?,
                        grade: grades.get(&a.rm_id).copied().unwrap_or(Grade::Assistant),
                        share: store::share_of(a.share_bp),
                    },
                );
            }
            let mut books: HashMap<String, Vec<Book>> = HashMap::new();
            for (a, customer) in active.into_iter().filter(|(a, _)| a.role == "primary") {
                books.entry(a.rm_id.clone()).or_default().push(Book {
                    value: Decimal::new(values.get(&customer.id).copied().unwrap_or(0), 2),
                    others: others.remove(&customer.id).unwrap_or_default(),
                    flagged: flagged.contains(&customer.id),
                    facts: {
                        // a customer with a loan outstanding counts as a key account, as in
                        // the RMs' loads.
                        let mut facts = facts_of_customer(&customer)?;
                        facts.is_key_account |= values.get(&customer.id).is_some_and(|b| *b > 0);
                        facts
                    },
                    customer_id: customer.id,
                });
            }
            let mut desks = Vec::with_capacity(rms.len());
            for row in &rms {
                desks.push(Desk {
                    rm: facts_of_rm(conn, row)?,
                    book: books.remove(&row.id).unwrap_or_default(),
                });
            }
            Ok((policy, desks))
        })
        .await?;
    let before = rebalancing::spread(&desks);
    let (moves, after) = web::block(move || {
        let moves = rebalancing::propose(&mut desks, today, &policy, max_moves);
        (moves, rebalancing::spread(&desks))
    })
    .await?;
    Ok(web::Json(RebalancingProposal {
        org_unit_id,
        before,
        after,
        moves,
    }))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(proposals);
}
