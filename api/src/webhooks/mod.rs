//! Webhook deliveries from the outbox: each subscription hears the events of its types about its
//! subtree (O-1), in order, at least once, signed ([`signature`]), to addresses the [`guard`]
//! allows. A failed attempt is retried after growing delays (the policy's `webhooks`), and after
//! the policy's number of failures in a row the subscription is disabled; every attempt is logged.
//!
//! Order and "once per subscription" with several servers come from a lease per subscription: a
//! server delivers a subscription's next event only while it holds the lease, and moves its cursor
//! only then. A server that dies mid-delivery leaves the cursor behind the event; whoever takes the
//! lease after it expires sends the event again (at least once: receivers deduplicate on its id).

pub mod guard;
pub mod signature;

use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, TimeDelta};
use diesel::Connection;

use crate::clock::Clock;
use crate::db::outbox::{self, OutboxRow};
use crate::db::webhooks::{self as store, DeliveryRow, WebhookRow};
use crate::db::{Db, DbConn};
use crate::domain::events::{hears, EventType};
use crate::domain::policy::WebhookPolicy;
use crate::error::{AppError, AppResult};
pub use guard::Guard;

/// How long a server holds a subscription's lease, besides twice the policy's answer timeout.
const LEASE_SECONDS: u64 = 10;
/// How often a server looks for events to deliver.
const TICK: Duration = Duration::from_millis(250);
/// Outbox events read at once per subscription.
const BATCH: i64 = 200;
/// Delivered events are logged and the cursor moved once per this many events or this long, in
/// one write (SQLite has one writer; requests wait behind each transaction). A server dying before
/// the write sends those events again: the at-least-once contract.
const FLUSH_EVERY: usize = 50;
const FLUSH_AFTER: Duration = Duration::from_millis(200);
/// The longest error text kept in the delivery log.
const MAX_ERROR_CHARS: usize = 500;

/// The event types of a subscription, as stored (JSON text; corrupt text fails loudly).
pub fn stored_types(row: &WebhookRow) -> AppResult<Vec<EventType>> {
    let names: Vec<String> = serde_json::from_str(&row.event_types).map_err(|e| {
        AppError::Internal(format!("corrupt event types of webhook {}: {e}", row.id))
    })?;
    names
        .iter()
        .map(|n| EventType::stored(n).map_err(|e| AppError::Internal(e.to_string())))
        .collect()
}

/// Whether a subscription hears an event: its type and its subtree (O-1).
pub fn is_for(row: &WebhookRow, types: &[EventType], event: &OutboxRow) -> AppResult<bool> {
    Ok(hears(types, event.kind()?) && crate::domain::org::in_scope(&row.org_path, &event.org_path))
}

/// One attempt's outcome.
struct Attempt {
    status_code: Option<i32>,
    error: Option<String>,
    duration_ms: i64,
}

impl Attempt {
    fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }
}

/// Events delivered and passed over since the last write.
struct Done {
    /// The cursor after them.
    through: i64,
    /// The cursor as last written.
    written: i64,
    logs: Vec<DeliveryRow>,
    since: Instant,
}

impl Done {
    fn new(cursor: i64) -> Self {
        Done {
            through: cursor,
            written: cursor,
            logs: Vec::new(),
            since: Instant::now(),
        }
    }

    /// Logs the deliveries and moves the cursor past them (and the events passed over).
    fn save(&self, conn: &mut DbConn, id: &str, owner: &str) -> AppResult<()> {
        for log in &self.logs {
            store::record_delivery(conn, log)?;
        }
        if self.through > self.written {
            store::advance(conn, id, owner, self.through)?;
        }
        Ok(())
    }
}

#[derive(Clone)]
pub struct Deliveries {
    db: Db,
    clock: Clock,
    guard: Guard,
    /// This server's name in leases (host, process and instance).
    owner: String,
    /// The HTTP client: connections to a receiver are kept and reused; every address it connects
    /// to passed the guard; redirects are not followed (a receiver cannot send it elsewhere).
    agent: ureq::Agent,
}

impl Deliveries {
    pub fn new(db: Db, clock: Clock, guard: Guard) -> Self {
        let instance = uuid::Uuid::new_v4().simple().to_string();
        let resolver = guard.clone();
        let agent = ureq::AgentBuilder::new()
            .redirects(0)
            .user_agent(concat!("rmdesk-webhooks/", env!("CARGO_PKG_VERSION")))
            .resolver(move |netloc: &str| resolver.resolve(netloc))
            .build();
        Deliveries {
            db,
            clock,
            guard,
            owner: format!("{}:{}", std::process::id(), &instance[..12]),
            agent,
        }
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// Delivers what is due every [`TICK`] on the server's runtime, until the server stops.
    pub fn spawn(self) {
        actix_web::rt::spawn(async move {
            let mut interval = tokio::time::interval(TICK);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                let me = self.clone();
                match actix_web::web::block(move || me.tick()).await {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "webhook deliveries failed"),
                    Err(e) => tracing::error!(error = %e, "the webhook thread failed"),
                }
            }
        });
    }

    /// One round: every subscription ready now whose lease this server gets. Blocking.
    pub fn tick(&self) -> AppResult<()> {
        let ready = {
            let mut conn = self.db.reader()?;
            let last = outbox::last_seq(&mut conn)?;
            store::ready(&mut conn, &self.owner, self.clock.now(), last)?
        };
        for id in ready {
            if let Err(e) = self.serve(&id) {
                tracing::error!(webhook = %id, error = %e, "a webhook's deliveries failed");
            }
        }
        Ok(())
    }

    fn write<T>(&self, f: impl FnOnce(&mut DbConn) -> AppResult<T>) -> AppResult<T> {
        let mut conn = self.db.writer()?;
        let conn: &mut DbConn = &mut conn;
        conn.transaction(f)
    }

    /// Delivers a subscription's due events in order while it holds the lease; stops at the first
    /// failure (its retry waits) or when nothing is left.
    fn serve(&self, id: &str) -> AppResult<()> {
        let timeout = {
            let mut conn = self.db.reader()?;
            let (_, policy) = crate::db::policy::current(&mut conn)?;
            Duration::from_secs(u64::from(policy.webhooks.timeout_seconds.max(1)))
        };
        // Long enough for a batch and the slowest answer the policy waits for.
        let lease = Duration::from_secs(LEASE_SECONDS) + 2 * timeout;
        let now = self.clock.now();
        let until =
            now + TimeDelta::from_std(lease).unwrap_or(TimeDelta::seconds(LEASE_SECONDS as i64));
        if !self.write(|conn| store::take_lease(conn, id, &self.owner, now, until))? {
            return Ok(());
        }
        // No attempt starts that could outlast the lease: another server may take it then.
        let deadline = Instant::now() + lease - timeout - Duration::from_secs(1);
        let outcome = self.serve_leased(id, deadline);
        self.write(|conn| store::release_lease(conn, id, &self.owner))?;
        outcome
    }

    fn serve_leased(&self, id: &str, deadline: Instant) -> AppResult<()> {
        while Instant::now() < deadline {
            let (row, policy, events) = {
                let mut conn = self.db.reader()?;
                let Some(row) = store::find(&mut conn, id)? else {
                    return Ok(());
                };
                let (_, policy) = crate::db::policy::current(&mut conn)?;
                let events = outbox::after(&mut conn, row.cursor_seq, BATCH)?;
                (row, policy.webhooks, events)
            };
            if row.status != "active" || row.next_attempt_at.is_some_and(|at| at > self.clock.now())
            {
                return Ok(());
            }
            let types = stored_types(&row)?;
            let mut done = Done::new(row.cursor_seq);
            // Failures reset when an event is delivered: those in a row are the next event's.
            let mut failures = row.consecutive_failures;
            for event in &events {
                if !is_for(&row, &types, event)? {
                    done.through = event.seq;
                    continue;
                }
                if Instant::now() >= deadline {
                    break;
                }
                let (attempt, log) = self.attempt(&row, event, &policy, failures + 1, false)?;
                if !attempt.succeeded() {
                    self.write(|conn| {
                        done.save(conn, id, &self.owner)?;
                        store::record_delivery(conn, &log)?;
                        let failures = failures + 1;
                        let wait = policy.retry_after_seconds(failures as u32);
                        let disable = (failures as u32 >= policy.max_failures.max(1)).then(|| {
                            format!("{failures} failed deliveries in a row (policy webhooks.max_failures)")
                        });
                        let retry_at = self.clock.now() + TimeDelta::seconds(wait as i64);
                        store::failed(conn, id, &self.owner, failures, retry_at, disable, self.clock.now())
                    })?;
                    return Ok(());
                }
                failures = 0;
                done.through = event.seq;
                done.logs.push(log);
                if done.logs.len() >= FLUSH_EVERY || done.since.elapsed() >= FLUSH_AFTER {
                    self.write(|conn| done.save(conn, id, &self.owner))?;
                    done = Done::new(event.seq);
                }
            }
            self.write(|conn| done.save(conn, id, &self.owner))?;
            if (events.len() as i64) < BATCH {
                return Ok(());
            }
        }
        Ok(())
    }

    /// One signed attempt at an event and its line in the delivery log (not yet written).
    fn attempt(
        &self,
        row: &WebhookRow,
        event: &OutboxRow,
        policy: &WebhookPolicy,
        number: i32,
        redelivery: bool,
    ) -> AppResult<(Attempt, DeliveryRow)> {
        let attempt = self.send(row, event, policy)?;
        let log = DeliveryRow {
            id: crate::http::new_id(),
            webhook_id: row.id.clone(),
            event_seq: event.seq,
            event_id: event.id.clone(),
            event_type: event.event_type.clone(),
            attempt: number,
            redelivery,
            attempted_at: self.clock.now(),
            status_code: attempt.status_code,
            error: attempt.error.clone(),
            duration_ms: attempt.duration_ms,
            succeeded: attempt.succeeded(),
        };
        Ok((attempt, log))
    }

    /// Sends an event to a subscription once more, out of order, at an admin's request; logged as
    /// a redelivery. Blocking.
    pub fn redeliver(&self, row: &WebhookRow, event: &OutboxRow) -> AppResult<DeliveryRow> {
        let (policy, attempts) = {
            let mut conn = self.db.reader()?;
            let policy = crate::db::policy::current(&mut conn)?.1.webhooks;
            (policy, store::attempts_of(&mut conn, &row.id, event.seq)?)
        };
        let (_, log) = self.attempt(row, event, &policy, attempts as i32 + 1, true)?;
        self.write(|conn| store::record_delivery(conn, &log))?;
        Ok(log)
    }

    /// One signed POST of the event to the subscription's URL.
    fn send(
        &self,
        row: &WebhookRow,
        event: &OutboxRow,
        policy: &WebhookPolicy,
    ) -> AppResult<Attempt> {
        let body = serde_json::to_vec(&event.envelope()?)?;
        // The signature's time is the real time, not the business clock: receivers compare it
        // with their own clocks to refuse replays.
        let t = chrono::Utc::now().timestamp();
        let header = signature::sign(&row.secret, t, &body);
        let started = Instant::now();
        let answer = match self.guard.check_url(&row.url) {
            Err(e) => Err(e),
            Ok(_) => match self
                .agent
                .post(&row.url)
                .timeout(Duration::from_secs(u64::from(
                    policy.timeout_seconds.max(1),
                )))
                .set("Content-Type", "application/json")
                .set("X-Rmdesk-Event-Id", &event.id)
                .set("X-Rmdesk-Event-Type", &event.event_type)
                .set("X-Rmdesk-Signature", &header)
                .send_bytes(&body)
            {
                Ok(response) => Ok(response.status()),
                Err(ureq::Error::Status(code, _)) => Ok(code),
                Err(ureq::Error::Transport(t)) => Err(t.to_string()),
            },
        };
        let duration_ms = started.elapsed().as_millis() as i64;
        Ok(match answer {
            Ok(code) => Attempt {
                status_code: Some(i32::from(code)),
                error: (!(200..300).contains(&code))
                    .then(|| format!("the receiver answered {code}")),
                duration_ms,
            },
            Err(e) => Attempt {
                status_code: None,
                error: Some(e.chars().take(MAX_ERROR_CHARS).collect()),
                duration_ms,
            },
        })
    }
}

/// When a failed subscription may be tried again (shown in the API).
pub fn retry_at(row: &WebhookRow) -> Option<NaiveDateTime> {
    (row.consecutive_failures > 0)
        .then_some(row.next_attempt_at)
        .flatten()
}
