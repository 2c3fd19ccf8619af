//! The live stream of events for browsers (`GET /events/stream`, server-sent events).
//!
//! Each server reads the shared outbox once for all its listeners ([`Stream::spawn`]) and hands
//! new events to them; a listener first catches up from the outbox (`Last-Event-ID`), then follows.
//! With several servers on one PostgreSQL every server reads every committed event, so a browser
//! hears everything whichever server it is connected to.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use crate::db::outbox::{self, OutboxRow};
use crate::db::Db;
use crate::error::AppResult;

/// How often a server looks for new events in the outbox.
const POLL: Duration = Duration::from_millis(250);
/// Events held for slow listeners; one that falls further behind catches up from the outbox.
const CAPACITY: usize = 1024;

#[derive(Clone)]
pub struct Stream {
    sender: broadcast::Sender<Arc<OutboxRow>>,
}

impl Default for Stream {
    fn default() -> Self {
        Stream {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

impl Stream {
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<OutboxRow>> {
        self.sender.subscribe()
    }

    /// Follows the outbox from its current end on the server's runtime, until the server stops.
    pub fn spawn(&self, db: Db) {
        let sender = self.sender.clone();
        actix_web::rt::spawn(async move {
            let mut last = None;
            let mut interval = tokio::time::interval(POLL);
            interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                interval.tick().await;
                match next(&db, last).await {
                    Ok((seq, rows)) => {
                        last = Some(seq);
                        for row in rows {
                            // No listener is not an error.
                            let _ = sender.send(Arc::new(row));
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the event stream could not read the outbox")
                    }
                }
            }
        });
    }
}

/// The events after `last` (or none, from the end, when `last` is unknown).
async fn next(db: &Db, last: Option<i64>) -> AppResult<(i64, Vec<OutboxRow>)> {
    db.read(move |conn| match last {
        None => Ok((outbox::last_seq(conn)?, Vec::new())),
        Some(seq) => {
            let rows = outbox::after(conn, seq, 500)?;
            Ok((rows.last().map_or(seq, |r| r.seq), rows))
        }
    })
    .await
}

/// One event as the stream writes it: `id`, `event` and one line of JSON.
pub fn frame(row: &OutboxRow) -> AppResult<String> {
    Ok(format!(
        "id: {}\nevent: {}\ndata: {}\n\n",
        row.seq,
        row.event_type,
        serde_json::to_string(&row.envelope()?)?
    ))
}
