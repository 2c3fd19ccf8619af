//! Reads from a streaming replica (`DATABASE_READ_URL`, PostgreSQL only).
//!
//! A request's reads go to the replica unless one of these holds, and then to the primary:
//! - the replica lags the primary by more than the bound (`RMDESK_READ_MAX_LAG_MS`), or cannot be
//!   reached, or is no longer a replica (promoted);
//! - the caller wrote something the replica has not replayed yet (read-your-writes).
//!
//! Read-your-writes is shared by every server: after a caller's write commits, the primary's WAL
//! position is kept in `read_marks` for that user, and a read of that user goes to the replica only
//! once the replica has replayed up to it. The replica's position is sampled in the background; a
//! position read earlier is never ahead of the real one, so a stale sample can only send a read to
//! the primary, never a too-old answer to the caller.
//!
//! The lag is measured in time: the primary's position is sampled together with the replica's, and
//! the replica is as fresh as the primary was at the newest sample it has replayed.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text};

use super::{establish, DbConn, DbTarget, Pool};
use crate::error::AppResult;

tokio::task_local! {
    /// The user of the request being served, once authenticated: whose writes its reads must see.
    pub static READS_OF: RefCell<Option<String>>;
}

/// Records, for the rest of the request, the user whose writes its reads must see.
pub fn serving(user_id: &str) {
    let _ = READS_OF.try_with(|slot| *slot.borrow_mut() = Some(user_id.to_string()));
}

/// The authenticated user of the request being served, if any.
pub fn current_user() -> Option<String> {
    READS_OF
        .try_with(|slot| slot.borrow().clone())
        .ok()
        .flatten()
}

/// Where a read goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Primary,
    Replica,
}

/// What is known of the replica at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaState {
    /// The WAL position the replica has replayed up to, as bytes from `0/0`.
    pub replayed: i64,
    /// How far behind the primary it is, at most.
    pub lag: Duration,
}

/// Where a read goes, given the replica's state (`None`: unknown, unreachable or promoted), the
/// bound on its lag and the caller's last write position.
pub fn choose(replica: Option<ReplicaState>, max_lag: Duration, mark: Option<i64>) -> Target {
    match replica {
        Some(state)
            if state.lag <= max_lag && mark.is_none_or(|written| state.replayed >= written) =>
        {
            Target::Replica
        }
        _ => Target::Primary,
    }
}

/// A replica: its pool, the bound on its lag, and the latest sample of its state.
pub struct Replica {
    pub pool: Pool,
    pub max_lag: Duration,
    monitor: Arc<Monitor>,
    reads: [std::sync::atomic::AtomicU64; 2],
}

impl Replica {
    /// Opens the replica's pool and starts sampling its position against the primary's.
    pub fn start(
        primary: &DbTarget,
        replica: &DbTarget,
        pool: Pool,
        max_lag: Duration,
    ) -> Result<Arc<Self>, String> {
        let monitor = Arc::new(Monitor::default());
        Monitor::spawn(
            Arc::downgrade(&monitor),
            primary.clone(),
            replica.clone(),
            max_lag,
        )?;
        Ok(Arc::new(Self {
            pool,
            max_lag,
            monitor,
            reads: Default::default(),
        }))
    }

    /// The replica's state as last sampled (`None`: unknown, unreachable or not a replica).
    pub fn state(&self) -> Option<ReplicaState> {
        self.monitor.state()
    }

    /// Where a read goes, for a caller whose last write is at `mark` (see [`last_write`]).
    pub fn route(&self, mark: Option<i64>) -> Target {
        let target = choose(self.state(), self.max_lag, mark);
        self.reads[target as usize].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        target
    }

    /// Reads sent to the primary and to the replica since start.
    pub fn read_counts(&self) -> [(Target, u64); 2] {
        use std::sync::atomic::Ordering::Relaxed;
        [
            (Target::Primary, self.reads[0].load(Relaxed)),
            (Target::Replica, self.reads[1].load(Relaxed)),
        ]
    }
}

impl Target {
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Primary => "primary",
            Target::Replica => "replica",
        }
    }
}

#[derive(QueryableByName)]
struct Position {
    #[diesel(sql_type = Nullable<BigInt>)]
    lsn: Option<i64>,
}

/// The primary's WAL position now, in bytes from `0/0`.
const PRIMARY_POSITION: &str = "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint AS lsn";
/// A replica's replayed position; NULL when the server is not in recovery (a primary).
const REPLAYED_POSITION: &str = "SELECT CASE WHEN pg_is_in_recovery() \
     THEN (pg_last_wal_replay_lsn() - '0/0'::pg_lsn)::bigint END AS lsn";

/// After a write of `user` committed: keeps the primary's position, which is past the commit.
pub fn mark_write(primary: &mut DbConn, user: &str) -> AppResult<()> {
    primary.transaction(|conn| -> AppResult<()> {
        // Losing this row in a crash only sends the user's next reads to the replica a little early
        // after a restart; not worth a flush of its own.
        diesel::sql_query("SET LOCAL synchronous_commit = off").execute(conn)?;
        diesel::sql_query(
            "INSERT INTO read_marks (user_id, lsn) \
             VALUES ($1, (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint) \
             ON CONFLICT (user_id) DO UPDATE SET lsn = GREATEST(read_marks.lsn, EXCLUDED.lsn)",
        )
        .bind::<Text, _>(user)
        .execute(conn)?;
        Ok(())
    })
}

/// The primary's position after `user`'s last write, if they wrote.
pub fn last_write(primary: &mut DbConn, user: &str) -> AppResult<Option<i64>> {
    Ok(
        diesel::sql_query("SELECT lsn FROM read_marks WHERE user_id = $1")
            .bind::<Text, _>(user)
            .get_result::<Position>(primary)
            .optional()?
            .and_then(|p| p.lsn),
    )
}

/// Samples the primary's and the replica's positions every [`Monitor::EVERY`] on its own thread and
/// connections, until the [`Replica`] is dropped.
#[derive(Default)]
struct Monitor {
    inner: Mutex<Samples>,
}

#[derive(Default)]
struct Samples {
    /// The primary's positions over the last while, oldest first.
    primary: VecDeque<(Instant, i64)>,
    /// The replica's replayed position, and when it was read; `None` when it could not be read.
    replica: Option<(Instant, i64)>,
}

impl Samples {
    /// The replica is as fresh as the primary was at the newest sample it has replayed.
    fn state(&self, now: Instant) -> Option<ReplicaState> {
        let (_, replayed) = self.replica?;
        let (at, _) = self
            .primary
            .iter()
            .rev()
            .find(|(_, position)| *position <= replayed)?;
        Some(ReplicaState {
            replayed,
            lag: now.saturating_duration_since(*at),
        })
    }
}

impl Monitor {
    const EVERY: Duration = Duration::from_millis(100);

    fn state(&self) -> Option<ReplicaState> {
        let samples = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        samples.state(Instant::now())
    }

    fn spawn(
        monitor: Weak<Monitor>,
        primary: DbTarget,
        replica: DbTarget,
        max_lag: Duration,
    ) -> Result<(), String> {
        let keep = max_lag * 2 + Duration::from_secs(1);
        std::thread::Builder::new()
            .name("replica-monitor".into())
            .spawn(move || {
                let (mut on_primary, mut on_replica) = (None, None);
                while let Some(monitor) = monitor.upgrade() {
                    // The primary first: a replica that has replayed this position was at least as
                    // fresh as the primary at this instant.
                    let at = Instant::now();
                    let written = position(&mut on_primary, &primary, PRIMARY_POSITION);
                    let replayed = position(&mut on_replica, &replica, REPLAYED_POSITION);
                    {
                        let mut samples = monitor.inner.lock().unwrap_or_else(|p| p.into_inner());
                        if let Some(written) = written {
                            samples.primary.push_back((at, written));
                        }
                        while samples
                            .primary
                            .front()
                            .is_some_and(|(t, _)| at.saturating_duration_since(*t) > keep)
                        {
                            samples.primary.pop_front();
                        }
                        samples.replica = replayed.map(|r| (Instant::now(), r));
                    }
                    drop(monitor);
                    std::thread::sleep(Self::EVERY);
                }
            })
            .map(|_| ())
            .map_err(|e| format!("cannot start the replica monitor: {e}"))
    }
}

/// One position read on a connection of its own, opened again after a failure.
fn position(conn: &mut Option<DbConn>, target: &DbTarget, sql: &str) -> Option<i64> {
    if conn.is_none() {
        *conn = establish(target).ok();
    }
    let read = diesel::sql_query(sql).get_result::<Position>(conn.as_mut()?);
    match read {
        Ok(p) => p.lsn,
        Err(_) => {
            *conn = None;
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUND: Duration = Duration::from_secs(1);

    fn state(replayed: i64, lag_ms: u64) -> Option<ReplicaState> {
        Some(ReplicaState {
            replayed,
            lag: Duration::from_millis(lag_ms),
        })
    }

    #[test]
    fn a_fresh_replica_serves_callers_whose_writes_it_has_replayed() {
        assert_eq!(choose(state(100, 50), BOUND, None), Target::Replica);
        assert_eq!(choose(state(100, 50), BOUND, Some(100)), Target::Replica);
        assert_eq!(choose(state(100, 50), BOUND, Some(90)), Target::Replica);
    }

    #[test]
    fn a_caller_whose_write_the_replica_lacks_reads_the_primary() {
        assert_eq!(choose(state(100, 50), BOUND, Some(101)), Target::Primary);
    }

    #[test]
    fn a_replica_past_the_bound_or_unknown_is_skipped() {
        assert_eq!(choose(state(100, 1001), BOUND, None), Target::Primary);
        assert_eq!(choose(None, BOUND, None), Target::Primary);
    }

    #[test]
    fn the_lag_is_the_age_of_the_newest_primary_position_the_replica_has_replayed() {
        let t0 = Instant::now();
        let samples = Samples {
            primary: [(t0, 10), (t0 + Duration::from_millis(100), 20)].into(),
            replica: Some((t0 + Duration::from_millis(150), 15)),
        };
        let now = t0 + Duration::from_millis(300);
        assert_eq!(
            samples.state(now),
            Some(ReplicaState {
                replayed: 15,
                lag: Duration::from_millis(300)
            })
        );
        let caught_up = Samples {
            replica: Some((t0, 20)),
            ..samples
        };
        assert_eq!(
            caught_up.state(now).map(|s| s.lag),
            Some(Duration::from_millis(200))
        );
        let behind_every_sample = Samples {
            primary: [(t0, 10)].into(),
            replica: Some((t0, 5)),
        };
        assert_eq!(behind_every_sample.state(now), None);
        let unreachable = Samples {
            primary: [(t0, 10)].into(),
            replica: None,
        };
        assert_eq!(unreachable.state(now), None);
    }
}
