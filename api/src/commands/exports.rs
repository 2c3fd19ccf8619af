//! M-3: an export is itself evidence. Once sent (finished or cut off) it is recorded in the audit
//! log with its manifest, and the chain's head is signed (M-2's anchor), so that the events the
//! auditor took away are covered by a checkpoint.

use serde::Serialize;

use crate::anchor::Signer;
use crate::db::audit::{self, Actor, Change};
use crate::db::DbConn;
use crate::error::AppResult;

pub fn record<M: Serialize>(
    conn: &mut DbConn,
    actor: &Actor,
    scope: &str,
    manifest: &M,
    signer: &Signer,
) -> AppResult<()> {
    let change =
        Change::new("export.create", "export", &crate::http::new_id(), scope).after(manifest)?;
    audit::record(conn, actor, change)?;
    audit::checkpoint(conn, signer, actor.clock.now())?;
    Ok(())
}
