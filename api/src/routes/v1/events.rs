//! `GET /events/stream`: the bank's events as server-sent events, filtered to the caller's
//! subtree (O-1), resumable with `Last-Event-ID`.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};
use tokio::sync::{broadcast, mpsc};

use crate::auth::Caller;
use crate::db::outbox::{self, OutboxRow};
use crate::domain::org::in_scope;
use crate::error::{AppError, AppResult, Problem};
use crate::startup::AppState;
use crate::stream::frame;

/// A comment line that keeps proxies from closing a quiet stream.
const KEEP_ALIVE: Duration = Duration::from_secs(15);
/// How often the caller's session is checked again (sign-out ends the stream).
const SESSION_CHECK: Duration = Duration::from_secs(30);
/// Events replayed at once from the outbox.
const REPLAY_BATCH: i64 = 500;

/// The live stream: `id: <sequence>`, `event: <type>`, `data: <the event as JSON>` (the same
/// body a webhook receives). Send `Last-Event-ID` to resume after an event; without it the
/// stream starts with the events committed from now on.
#[utoipa::path(
    tag = "events",
    params(("Last-Event-ID" = Option<String>, Header, description = "the `id` of the last event received: the stream resumes after it")),
    responses(
        (status = 200, description = "an endless stream of server-sent events", content_type = "text/event-stream", body = String),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "a Last-Event-ID that is not a sequence number", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/events/stream")]
pub async fn stream(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let resume = match req.headers().get("Last-Event-ID") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|t| t.trim().parse::<i64>().ok())
                .filter(|n| *n >= 0)
                .ok_or_else(|| {
                    AppError::field("Last-Event-ID", "must be the id of an event of this stream")
                })?,
        ),
    };
    // Subscribe before reading where to start: nothing falls between the two.
    let live = state.stream.subscribe();
    let db = state.db.clone();
    let start = match resume {
        Some(seq) => seq,
        None => db.read(outbox::last_seq).await?,
    };
    let (tx, rx) = mpsc::channel::<Bytes>(64);
    actix_web::rt::spawn(follow(state.clone(), caller, start, live, tx));
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, actix_web::Error>(b), rx))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// Writes the caller's events to `tx` until the client goes, the session ends or the server stops.
async fn follow(
    state: web::Data<AppState>,
    caller: Caller,
    start: i64,
    mut live: broadcast::Receiver<Arc<OutboxRow>>,
    tx: mpsc::Sender<Bytes>,
) {
    if tx
        .send(Bytes::from_static(b"retry: 3000\n\n"))
        .await
        .is_err()
    {
        return;
    }
    // The highest event seen from either source, in or out of scope.
    let mut seen = start;
    if catch_up(&state, &caller, &mut seen, i64::MAX, &tx)
        .await
        .is_err()
    {
        return;
    }
    let mut keep_alive = tokio::time::interval(KEEP_ALIVE);
    let mut session = tokio::time::interval(SESSION_CHECK);
    session.tick().await;
    loop {
        tokio::select! {
            event = live.recv() => match event {
                Ok(row) if row.seq <= seen => {}
                Ok(row) => {
                    // Anything between what was seen and this one (missed while catching up).
                    if row.seq > seen + 1
                        && catch_up(&state, &caller, &mut seen, row.seq - 1, &tx).await.is_err()
                    {
                        return;
                    }
                    seen = seen.max(row.seq);
                    if in_scope(&caller.org_path, &row.org_path) && send(&tx, &row).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if catch_up(&state, &caller, &mut seen, i64::MAX, &tx).await.is_err() {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = keep_alive.tick() => {
                if tx.send(Bytes::from_static(b": keep-alive\n\n")).await.is_err() {
                    return;
                }
            }
            _ = session.tick() => {
                if !still_signed_in(&state, &caller).await {
                    return;
                }
            }
            _ = tx.closed() => return,
        }
    }
}

/// Replays the caller's events after `seen` up to `through` from the outbox.
async fn catch_up(
    state: &web::Data<AppState>,
    caller: &Caller,
    seen: &mut i64,
    through: i64,
    tx: &mpsc::Sender<Bytes>,
) -> Result<(), ()> {
    loop {
        let (scope, after) = (caller.org_path.clone(), *seen);
        let rows = state
            .db
            .read(move |conn| {
                let last = outbox::last_seq(conn)?;
                Ok((
                    outbox::scoped_after(conn, &scope, after, REPLAY_BATCH)?,
                    last,
                ))
            })
            .await;
        let Ok((rows, last)) = rows else {
            return Err(());
        };
        let full = rows.len() as i64 == REPLAY_BATCH;
        for row in rows.iter().filter(|r| r.seq <= through) {
            send(tx, row).await?;
            *seen = row.seq;
        }
        if !full || rows.last().is_some_and(|r| r.seq >= through) {
            // Nothing more in scope up to the end: the events out of scope count as seen.
            *seen = (*seen).max(last.min(through));
            return Ok(());
        }
    }
}

async fn send(tx: &mpsc::Sender<Bytes>, row: &OutboxRow) -> Result<(), ()> {
    let text =
        frame(row).map_err(|e| tracing::error!(error = %e, "an event could not be written"))?;
    tx.send(Bytes::from(text)).await.map_err(|_| ())
}

async fn still_signed_in(state: &web::Data<AppState>, caller: &Caller) -> bool {
    if caller.token_expires_at <= chrono::Utc::now().timestamp() {
        return false;
    }
    let (user_id, stamp, jti) = (
        caller.user_id.clone(),
        caller.security_stamp.clone(),
        caller.token_id.clone(),
    );
    let session = state
        .db
        .read(move |conn| crate::db::sessions::check(conn, &user_id, &stamp, &jti))
        .await;
    matches!(session, Ok(crate::db::sessions::Session::Valid))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(stream);
}
