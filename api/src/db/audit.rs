//! M-2: audit events, written in the same transaction as the change they record.

use chrono::{NaiveDateTime, SubsecRound};
use diesel::prelude::*;
use serde::Serialize;

use super::schema::{audit_checkpoints, audit_events, audit_head};
use super::{outbox, policy, DbConn};
use crate::clock::Clock;
use crate::domain::audit_chain::{
    check_link, event_hash, state_digest, Break, ChainedContent, GENESIS_HASH,
};
use crate::domain::{commitments, events};
use crate::error::AppResult;

/// Who did it (user, roles, unit) and in which request.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<String>,
    pub username: String,
    pub roles: String,
    pub org_unit_id: Option<String>,
    pub request_id: String,
    /// The clock the change happens on: events are stamped with its time.
    pub clock: Clock,
}

impl Actor {
    /// The system itself: bootstrap, migrations, demo data, scheduled runs.
    pub fn system(what: &str, clock: Clock) -> Self {
        Actor {
            user_id: None,
            username: "system".into(),
            roles: String::new(),
            org_unit_id: None,
            request_id: what.into(),
            clock,
        }
    }
}

#[derive(Debug, Clone, Queryable, Insertable, Serialize)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
pub struct AuditEventRow {
    pub seq: i64,
    pub occurred_at: NaiveDateTime,
    pub actor_user_id: Option<String>,
    pub actor_username: String,
    pub actor_roles: String,
    pub actor_org_unit_id: Option<String>,
    pub action: String,
    pub entity: String,
    pub entity_id: String,
    pub org_path: String,
    pub before_state: Option<String>,
    pub after_state: Option<String>,
    pub request_id: String,
    pub policy_version: i64,
    pub prev_hash: String,
    pub hash: String,
    /// The event's secret for the commitments to its personal values (`domain::commitments`);
    /// `None` on events written before them (their digests are plain SHA-256 of the text).
    pub snapshot_salt: Option<String>,
    /// The snapshots' digests as written (the chain hashes them; `verify` recomputes them).
    pub before_sha256: Option<String>,
    pub after_sha256: Option<String>,
    /// The commitments to the snapshots' personal values by JSON pointer (JSON text), given to
    /// readers who see them masked; `None` when a snapshot holds none.
    pub before_redactions: Option<String>,
    pub after_redactions: Option<String>,
}

/// An instant from a request, truncated to microseconds like every stored one.
pub fn truncate(at: NaiveDateTime) -> NaiveDateTime {
    at.trunc_subsecs(6)
}

/// RFC 3339 UTC with microseconds, as the chain hashes it: `2026-11-23T10:00:00.000001Z`. Written
/// digit by digit: exports format a million of these.
pub fn format_instant(at: &NaiveDateTime) -> String {
    use chrono::{Datelike, Timelike};
    let year = at.year();
    if !(0..=9999).contains(&year) || at.nanosecond() >= 1_000_000_000 {
        return format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            year,
            at.month(),
            at.day(),
            at.hour(),
            at.minute(),
            at.second(),
            at.nanosecond() / 1_000
        );
    }
    let mut text = *b"0000-00-00T00:00:00.000000Z";
    let mut put = |end: usize, width: usize, mut n: u32| {
        for i in (end - width..end).rev() {
            text[i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
    };
    put(4, 4, year as u32);
    put(7, 2, at.month());
    put(10, 2, at.day());
    put(13, 2, at.hour());
    put(16, 2, at.minute());
    put(19, 2, at.second());
    put(26, 6, at.nanosecond() / 1_000);
    std::str::from_utf8(&text).unwrap_or_default().to_owned()
}

/// Which snapshot of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Before,
    After,
}

impl Side {
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Before => "before",
            Side::After => "after",
        }
    }
}

impl AuditEventRow {
    pub fn snapshot(&self, side: Side) -> Option<&str> {
        match side {
            Side::Before => self.before_state.as_deref(),
            Side::After => self.after_state.as_deref(),
        }
    }

    /// The digest of a snapshot recomputed from its text: with its personal values replaced by
    /// their salted commitments, or, for events written before commitments, of the text itself.
    pub fn digest(&self, side: Side) -> Option<String> {
        let text = self.snapshot(side)?;
        Some(match &self.snapshot_salt {
            Some(salt) => commitments::commit_text(salt, side.as_str(), text)
                .map_or_else(|| state_digest(text), |(digest, _)| digest),
            None => state_digest(text),
        })
    }

    /// The digest as written with the event (exports read it instead of recomputing it).
    pub fn written_digest(&self, side: Side) -> Option<String> {
        let written = match side {
            Side::Before => &self.before_sha256,
            Side::After => &self.after_sha256,
        };
        written.clone().or_else(|| self.digest(side))
    }

    /// The commitments of a snapshot's personal values (JSON text), if it holds any.
    pub fn redactions(&self, side: Side) -> Option<&str> {
        match side {
            Side::Before => self.before_redactions.as_deref(),
            Side::After => self.after_redactions.as_deref(),
        }
    }

    /// Salts the event and writes its snapshots' digests and the commitments to their personal
    /// values.
    fn commit(&mut self, salt: String) -> AppResult<()> {
        for side in [Side::Before, Side::After] {
            let Some(text) = self.snapshot(side) else {
                continue;
            };
            let (digest, redactions) = commitments::commit_text(&salt, side.as_str(), text)
                .ok_or_else(|| {
                    crate::error::AppError::Internal("an audit snapshot is not JSON".into())
                })?;
            let redactions = if redactions.is_empty() {
                None
            } else {
                Some(serde_json::to_string(&redactions)?)
            };
            match side {
                Side::Before => {
                    (self.before_sha256, self.before_redactions) = (Some(digest), redactions)
                }
                Side::After => {
                    (self.after_sha256, self.after_redactions) = (Some(digest), redactions)
                }
            }
        }
        self.snapshot_salt = Some(salt);
        Ok(())
    }

    /// The hash this event's content chains to (given its `prev_hash`).
    pub fn chain_hash(&self) -> String {
        event_hash(&self.content(&format_instant(&self.occurred_at)))
    }

    /// The content the hash covers, with the snapshots' digests recomputed from their text.
    fn content<'a>(&'a self, occurred_at: &'a str) -> ChainedContent<'a> {
        self.content_with(occurred_at, |side| self.digest(side))
    }

    fn content_with<'a>(
        &'a self,
        occurred_at: &'a str,
        digest: impl Fn(Side) -> Option<String>,
    ) -> ChainedContent<'a> {
        ChainedContent {
            seq: self.seq,
            occurred_at,
            actor_user_id: self.actor_user_id.as_deref(),
            actor_username: &self.actor_username,
            actor_roles: &self.actor_roles,
            actor_org_unit_id: self.actor_org_unit_id.as_deref(),
            action: &self.action,
            entity: &self.entity,
            entity_id: &self.entity_id,
            org_path: &self.org_path,
            before_sha256: digest(Side::Before),
            after_sha256: digest(Side::After),
            request_id: &self.request_id,
            policy_version: self.policy_version,
            prev_hash: &self.prev_hash,
        }
    }
}

/// One change of state to record: what happened to which entity, where in the org tree, and the
/// entity before and after.
#[derive(Debug, Clone)]
pub struct Change {
    action: String,
    entity: String,
    entity_id: String,
    org_path: String,
    before: Option<String>,
    after: Option<String>,
}

impl Change {
    /// `org_path` is the path of the unit the entity belongs to: audit reads are scoped by it (O-1).
    pub fn new(action: &str, entity: &str, entity_id: &str, org_path: &str) -> Self {
        Change {
            action: action.into(),
            entity: entity.into(),
            entity_id: entity_id.into(),
            org_path: org_path.into(),
            before: None,
            after: None,
        }
    }

    pub fn before<T: Serialize>(mut self, state: &T) -> AppResult<Self> {
        self.before = Some(serde_json::to_string(state)?);
        Ok(self)
    }

    pub fn after<T: Serialize>(mut self, state: &T) -> AppResult<Self> {
        self.after = Some(serde_json::to_string(state)?);
        Ok(self)
    }
}

/// Appends one event to the chain. Call inside the transaction of the change it records: the
/// first statement takes the chain head's row lock, so concurrent writers append one at a time.
pub fn record(conn: &mut DbConn, actor: &Actor, change: Change) -> AppResult<i64> {
    record_many(conn, actor, vec![change])
}

/// Appends events in order, chained one to the next, with one lock of the chain head and multi-row
/// inserts (bulk imports). Returns the last sequence number.
pub fn record_many(conn: &mut DbConn, actor: &Actor, changes: Vec<Change>) -> AppResult<i64> {
    if changes.is_empty() {
        return Ok(0);
    }
    let n = changes.len() as i64;
    // The events the changes publish, by the index of their change.
    let mut events = Vec::new();
    for (i, change) in changes.iter().enumerate() {
        if !events::publishes(&change.action, &change.entity) {
            continue;
        }
        let snapshot = |text: &Option<String>| -> AppResult<Option<serde_json::Value>> {
            Ok(match text {
                Some(t) => Some(serde_json::from_str(t)?),
                None => None,
            })
        };
        let (before, after) = (snapshot(&change.before)?, snapshot(&change.after)?);
        for event in events::derive(
            &change.action,
            &change.entity,
            &change.entity_id,
            before.as_ref(),
            after.as_ref(),
        ) {
            events.push((i as i64, change.org_path.clone(), event));
        }
    }
    let m = events.len() as i64;
    // One statement takes the chain head's lock and numbers the events and the outbox rows.
    diesel::update(audit_head::table.find(1))
        .set((
            audit_head::last_seq.eq(audit_head::last_seq + n),
            audit_head::last_event_seq.eq(audit_head::last_event_seq + m),
        ))
        .execute(conn)?;
    let (last_seq, mut prev_hash, last_event_seq): (i64, String, i64) = audit_head::table
        .find(1)
        .select((
            audit_head::last_seq,
            audit_head::last_hash,
            audit_head::last_event_seq,
        ))
        .first(conn)?;
    let policy_version = policy::current_version(conn)?;
    let occurred_at = actor.clock.now();
    let at = format_instant(&occurred_at);
    let mut rows = Vec::with_capacity(changes.len());
    for (i, change) in changes.into_iter().enumerate() {
        let seq = last_seq - n + 1 + i as i64;
        let mut row = AuditEventRow {
            seq,
            occurred_at,
            actor_user_id: actor.user_id.clone(),
            actor_username: actor.username.clone(),
            actor_roles: actor.roles.clone(),
            actor_org_unit_id: actor.org_unit_id.clone(),
            action: change.action,
            entity: change.entity,
            entity_id: change.entity_id,
            org_path: change.org_path,
            before_state: change.before,
            after_state: change.after,
            request_id: actor.request_id.clone(),
            policy_version,
            prev_hash,
            hash: String::new(),
            snapshot_salt: None,
            before_sha256: None,
            after_sha256: None,
            before_redactions: None,
            after_redactions: None,
        };
        row.commit(hex::encode(rand::random::<[u8; 16]>()))?;
        row.hash = event_hash(&row.content_with(&at, |side| row.written_digest(side)));
        prev_hash = row.hash.clone();
        rows.push(row);
    }
    super::insert_rows!(conn, audit_events::table, &rows);
    diesel::update(audit_head::table.find(1))
        .set(audit_head::last_hash.eq(&prev_hash))
        .execute(conn)?;
    // Events out are written here, under the chain head's lock and in the change's transaction:
    // whatever path records a change publishes its events, and nothing uncommitted is published.
    outbox::append(
        conn,
        last_event_seq - m + 1,
        events
            .into_iter()
            .map(|(i, org_path, event)| {
                let source = outbox::Source {
                    audit_seq: last_seq - n + 1 + i,
                    org_path,
                    policy_version,
                    request_id: &actor.request_id,
                    occurred_at,
                };
                (source, event)
            })
            .collect(),
    )?;
    Ok(last_seq)
}

#[derive(Debug, Default, Clone)]
pub struct EventFilter {
    pub entity: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    pub actor_username: Option<String>,
    pub from: Option<NaiveDateTime>,
    pub to: Option<NaiveDateTime>,
    pub after_seq: Option<i64>,
}

/// Events about entities inside the subtree at `scope`, oldest first.
pub fn list(
    conn: &mut DbConn,
    scope: &str,
    filter: &EventFilter,
    limit: i64,
) -> AppResult<Vec<AuditEventRow>> {
    let mut query = audit_events::table.into_boxed();
    // The whole bank reads in sequence order straight off the key; a unit by its scope index.
    if !super::org_units::is_whole_bank(conn, scope)? {
        let (low, high) = super::subtree_range(scope);
        query = query
            .filter(audit_events::org_path.ge(low))
            .filter(audit_events::org_path.lt(high));
    }
    if let Some(v) = &filter.entity {
        query = query.filter(audit_events::entity.eq(v.clone()));
    }
    if let Some(v) = &filter.entity_id {
        query = query.filter(audit_events::entity_id.eq(v.clone()));
    }
    if let Some(v) = &filter.action {
        query = query.filter(audit_events::action.eq(v.clone()));
    }
    if let Some(v) = &filter.actor_username {
        query = query.filter(audit_events::actor_username.eq(v.clone()));
    }
    if let Some(v) = filter.from {
        query = query.filter(audit_events::occurred_at.ge(v));
    }
    if let Some(v) = filter.to {
        query = query.filter(audit_events::occurred_at.lt(v));
    }
    if let Some(v) = filter.after_seq {
        query = query.filter(audit_events::seq.gt(v));
    }
    Ok(query
        .order(audit_events::seq.asc())
        .limit(limit)
        .load(conn)?)
}

/// The outcome of walking the whole chain.
#[derive(Debug, Clone)]
pub enum Verification {
    Intact {
        events: i64,
        last_hash: String,
    },
    Broken {
        checked: i64,
        seq: i64,
        problem: Break,
    },
}

/// A signed checkpoint of the chain head (M-2's anchor).
#[derive(Debug, Clone, Queryable, Insertable, Serialize)]
#[diesel(table_name = audit_checkpoints)]
pub struct CheckpointRow {
    pub seq: i64,
    pub hash: String,
    pub signed_at: NaiveDateTime,
    pub signature: String,
}

impl CheckpointRow {
    fn message(&self) -> String {
        crate::anchor::checkpoint_message(self.seq, &self.hash, &format_instant(&self.signed_at))
    }
}

/// Signs the chain's head unless the last checkpoint holds it already; returns the checkpoint.
pub fn checkpoint(
    conn: &mut DbConn,
    signer: &crate::anchor::Signer,
    now: NaiveDateTime,
) -> AppResult<Option<CheckpointRow>> {
    let (seq, hash): (i64, String) = audit_head::table
        .find(1)
        .select((audit_head::last_seq, audit_head::last_hash))
        .first(conn)?;
    if seq == 0 {
        return Ok(None);
    }
    let signed: i64 = audit_checkpoints::table
        .filter(audit_checkpoints::seq.eq(seq))
        .count()
        .get_result(conn)?;
    if signed > 0 {
        return Ok(None);
    }
    let mut row = CheckpointRow {
        seq,
        hash,
        signed_at: truncate(now),
        signature: String::new(),
    };
    row.signature = signer.sign(&row.message());
    // Two servers (two dates' checkpoint jobs, or a job and the periodic checkpoint) may meet the
    // same head at once: the second finds it signed. A savepoint keeps the caller's transaction
    // usable on PostgreSQL after the refused insert.
    let inserted = diesel::Connection::transaction(conn, |c| {
        diesel::insert_into(audit_checkpoints::table)
            .values(&row)
            .execute(c)
    });
    match inserted {
        Ok(_) => Ok(Some(row)),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Walks the chain from the first event, in pages, and reports the first event that does not fit,
/// including a rewrite of events a signed checkpoint covers.
pub fn verify(conn: &mut DbConn, public_key: &str) -> AppResult<Verification> {
    const PAGE: i64 = 5_000;
    let mut checkpoints: std::collections::BTreeMap<i64, CheckpointRow> = audit_checkpoints::table
        .order(audit_checkpoints::seq.asc())
        .load::<CheckpointRow>(conn)?
        .into_iter()
        .map(|c| (c.seq, c))
        .collect();
    if let Some(forged) = checkpoints
        .values()
        .find(|c| !crate::anchor::verify(public_key, &c.message(), &c.signature))
    {
        return Ok(Verification::Broken {
            checked: 0,
            seq: forged.seq,
            problem: Break::ForgedCheckpoint,
        });
    }
    let mut expected_prev = GENESIS_HASH.to_string();
    let mut expected_seq = 1;
    let mut checked = 0;
    loop {
        let rows: Vec<AuditEventRow> = audit_events::table
            .filter(audit_events::seq.ge(expected_seq))
            .order(audit_events::seq.asc())
            .limit(PAGE)
            .load(conn)?;
        let page_len = rows.len();
        for row in rows {
            let at = format_instant(&row.occurred_at);
            let rewritten = checkpoints
                .remove(&row.seq)
                .is_some_and(|c| c.hash != row.hash);
            if rewritten {
                return Ok(Verification::Broken {
                    checked,
                    seq: row.seq,
                    problem: Break::Rewritten,
                });
            }
            if let Err(problem) =
                check_link(&row.content(&at), &row.hash, &expected_prev, expected_seq)
            {
                return Ok(Verification::Broken {
                    checked,
                    seq: row.seq,
                    problem,
                });
            }
            checked += 1;
            expected_seq = row.seq + 1;
            expected_prev = row.hash;
        }
        if (page_len as i64) < PAGE {
            break;
        }
    }
    // A checkpoint past the last stored event: signed events were removed.
    if let Some(seq) = checkpoints.keys().next() {
        return Ok(Verification::Broken {
            checked,
            seq: *seq,
            problem: Break::Rewritten,
        });
    }
    // Events deleted from the end leave the head pointing past the last stored event.
    let (head_seq, head_hash): (i64, String) = audit_head::table
        .find(1)
        .select((audit_head::last_seq, audit_head::last_hash))
        .first(conn)?;
    if head_seq != checked || head_hash != expected_prev {
        return Ok(Verification::Broken {
            checked,
            seq: checked + 1,
            problem: Break::Gap,
        });
    }
    Ok(Verification::Intact {
        events: checked,
        last_hash: expected_prev,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn m2_instants_are_formatted_as_the_chain_hashes_them() {
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").ok();
        for (given, shown) in [
            ("2026-11-23 10:00:00.000001", "2026-11-23T10:00:00.000001Z"),
            ("2026-01-02 03:04:05.678912", "2026-01-02T03:04:05.678912Z"),
            ("0999-12-31 23:59:59", "0999-12-31T23:59:59.000000Z"),
        ] {
            assert_eq!(
                at(given).map(|t| format_instant(&t)).as_deref(),
                Some(shown)
            );
        }
    }
}
