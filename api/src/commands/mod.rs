//! Commands: the writes that run the A rules over loaded facts, shared by the HTTP handlers and
//! by approvals (M-1), which re-run a stored command against the state at approval time.

pub mod activities;
pub mod approvals;
pub mod assignments;
pub mod conduct;
pub mod customer_state;
pub mod customers;
pub mod evaluations;
pub mod exit_cases;
pub mod exports;
pub mod field_checks;
pub mod flags;
pub mod handovers;
pub mod loans;
pub mod org_units;
pub mod performance;
pub mod qualifications;
pub mod rms;
pub mod sessions;
pub mod users;
pub mod webhooks;

use chrono::{NaiveDate, NaiveDateTime};

use crate::db::audit::Actor;
use crate::domain::policy::Policy;

/// What every command runs with: who acts, when, and the policy version in force.
#[derive(Clone)]
pub struct Ctx {
    pub actor: Actor,
    /// The caller's data scope (O-1).
    pub scope: String,
    pub today: NaiveDate,
    pub now: NaiveDateTime,
    pub policy: Policy,
    /// The rules whose second person has approved this command (M-1): set only when an approval
    /// runs it, so a direct call cannot claim one.
    pub approved_rules: Vec<&'static str>,
}

impl Ctx {
    /// Whether a second person approved this command under `rule` (M-1).
    pub fn approved(&self, rule: &str) -> bool {
        self.approved_rules.contains(&rule)
    }

    /// The context of a request by `caller`, with the policy in force.
    pub fn load(
        conn: &mut crate::db::DbConn,
        caller: &crate::auth::Caller,
    ) -> crate::error::AppResult<Self> {
        let (_, policy) = crate::db::policy::current(conn)?;
        Ok(Ctx {
            actor: caller.actor(),
            scope: caller.org_path.clone(),
            today: caller.today(),
            now: caller.now(),
            policy,
            approved_rules: Vec::new(),
        })
    }
}
