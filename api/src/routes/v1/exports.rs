//! M-3: `GET /exports/{dataset}?format=json|ndjson&org_unit_id=&from=&to=`: evidence for auditors,
//! streamed from one consistent read of the database to the socket, page by page (memory stays flat),
//! with a manifest that lets the reader check the items without trusting rmdesk:
//!
//! - `items_sha256`: SHA-256 over every item's JSON text exactly as sent, each followed by `\n`, in
//!   order (for NDJSON, the bytes of every line before the manifest line);
//! - for `audit_events`, `chain_from` (the hash the first event chains from) and `chain_to`.
//!
//! JSON is one document `{"items": [...], "manifest": {...}}` (the manifest last, once the digest is
//! known); NDJSON is one item per line and the manifest as the last line. Every export, finished or
//! cut off, is itself an audit event.

use actix_web::web::Bytes;
use actix_web::{get, web, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::connection::SimpleConnection;
use diesel::Connection;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::audit::AuditEventRef;
use super::customers::Customer;
use super::exit_cases::ExitCase;
use super::rms::Rm;
use crate::auth::Caller;
use crate::commands::performance::Score;
use crate::db::{self, Db, DbConn};
use crate::domain::privacy;
use crate::domain::role::Permission;
use crate::domain::text_enum;
use crate::error::{AppError, AppResult, Problem};
use crate::http::Query;
use crate::startup::AppState;

text_enum! {
    /// What can be exported.
    Dataset {
        /// Every assignment row, ended ones included (A-1 history).
        Assignments => "assignments",
        Flags => "flags",
        FieldChecks => "field_checks",
        ExitCases => "exit_cases",
        Scores => "scores",
        AuditEvents => "audit_events",
        Rms => "rms",
        Customers => "customers",
    }
}

text_enum! {
    Format {
        Json => "json",
        Ndjson => "ndjson",
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `json` (default) or `ndjson`.
    pub format: Option<Format>,
    /// A unit of the caller's subtree (default: the whole subtree).
    pub org_unit_id: Option<String>,
    /// First day included (the dataset's own date: event time, raise, check, case, month...).
    pub from: Option<NaiveDate>,
    /// Last day included.
    pub to: Option<NaiveDate>,
}

/// A JSON export (`format=json`): the items, then the manifest that signs them. An item has its
/// dataset's own shape (the list view of that dataset, masked as the caller must see it).
#[derive(Debug, ToSchema)]
pub struct ExportDocument {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<serde_json::Value>,
    pub manifest: Manifest,
}

/// What an export holds and how to check it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Manifest {
    pub dataset: String,
    pub format: String,
    pub filters: Filters,
    pub generated_at: String,
    pub generated_by: String,
    pub policy_version: i64,
    pub row_count: u64,
    /// SHA-256 (hex) over each item's JSON text as sent followed by `\n`, in order.
    pub items_sha256: String,
    /// `audit_events`: the hash the first exported event chains from (its `prev_hash`).
    pub chain_from: Option<String>,
    /// `audit_events`: the hash of the last exported event.
    pub chain_to: Option<String>,
    /// `audit_events` of the whole bank: every event between the first and the last is here, so a
    /// missing sequence number is a break (a unit's export skips other units' events).
    pub contiguous: bool,
    /// False when the export was cut off (then the digest covers what was sent).
    pub complete: bool,
    /// The signing key's id (`GET /audit/public-key`).
    pub key_id: String,
    /// Ed25519 signature (hex) over `rmdesk-export-v1\n{row_count}\n{items_sha256}\n{chain_from or
    /// -}\n{chain_to or -}`: checked by `rmdesk verify-export --public-key`.
    pub signature: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Filters {
    pub org_unit_id: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Rows per page read from the database.
const PAGE: i64 = 2_000;

/// Items serialised back to back, each followed by `\n`: item `i` is
/// `bytes[ends[i-1]..ends[i] - 1]`. So `bytes` is at once the NDJSON text of the page and what the
/// manifest's digest covers.
#[derive(Default)]
struct Items {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl Items {
    fn push(&mut self, item: &[u8]) {
        self.bytes.extend_from_slice(item);
        self.end_item();
    }

    fn end_item(&mut self) {
        self.bytes.push(b'\n');
        self.ends.push(self.bytes.len());
    }

    fn iter(&self) -> impl Iterator<Item = &[u8]> {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(self.ends.iter())
            .map(|(a, b)| &self.bytes[a..*b - 1])
    }
}

/// One page of items, serialised, with the cursor after it and (audit events) chain links.
struct Page {
    items: Items,
    /// Audit events still to render (rendering overlaps with reading the next page).
    events: Vec<db::audit::AuditEventRow>,
    next: Option<String>,
    links: Option<(String, String)>,
}

struct Job {
    caller: Caller,
    dataset: Dataset,
    scope: String,
    range: (Option<NaiveDateTime>, Option<NaiveDateTime>),
    unmasked: bool,
    policy: crate::domain::policy::Policy,
    signer: std::sync::Arc<crate::anchor::Signer>,
}

fn within(at: NaiveDateTime, range: &(Option<NaiveDateTime>, Option<NaiveDateTime>)) -> bool {
    range.0.is_none_or(|from| at >= from) && range.1.is_none_or(|to| at < to)
}

/// Serialises a view, masking personal data for readers without the right (M-3).
fn item<T: Serialize>(view: &T, unmasked: bool) -> AppResult<Vec<u8>> {
    if unmasked {
        return Ok(serde_json::to_vec(view)?);
    }
    let mut value = serde_json::to_value(view)?;
    privacy::mask_json(&mut value);
    Ok(serde_json::to_vec(&value)?)
}

/// Audit events as the reader sees them: the costly part (snapshot digests, masking, serialising),
/// so both cores share a page, each half built from borrowed rows and sent as it is.
fn render_events(rows: &[db::audit::AuditEventRow], unmasked: bool) -> AppResult<[Items; 2]> {
    let render = |part: &[db::audit::AuditEventRow]| -> Items {
        let mut items = Items {
            bytes: Vec::with_capacity(part.len() * 1536),
            ends: Vec::with_capacity(part.len()),
        };
        for r in part {
            AuditEventRef::view(r, unmasked).write_json(&mut items.bytes);
            items.end_item();
        }
        items
    };
    let (first, second) = rows.split_at(rows.len().div_ceil(2));
    let (a, b) = std::thread::scope(|s| {
        let other = s.spawn(|| render(second));
        (render(first), other.join())
    });
    Ok([
        a,
        b.map_err(|_| AppError::Internal("export worker panicked".into()))?,
    ])
}

fn page(conn: &mut DbConn, job: &Job, after: Option<&str>) -> AppResult<Page> {
    let keep = |at: NaiveDateTime| within(at, &job.range);
    let mut out = Page {
        items: Items::default(),
        events: Vec::new(),
        next: None,
        links: None,
    };
    macro_rules! by_id {
        ($rows:expr, $at:expr, $view:expr) => {{
            let rows = $rows;
            if rows.len() as i64 == PAGE {
                out.next = rows.last().map(|r| r.id.clone());
            }
            for r in rows {
                if keep($at(&r)) {
                    out.items.push(&item(&$view(r)?, job.unmasked)?);
                }
            }
        }};
    }
    match job.dataset {
        Dataset::AuditEvents => {
            let filter = db::audit::EventFilter {
                from: job.range.0,
                to: job.range.1,
                after_seq: after.and_then(|a| a.parse().ok()),
                ..Default::default()
            };
            let rows = db::audit::list(conn, &job.scope, &filter, PAGE)?;
            if rows.len() as i64 == PAGE {
                out.next = rows.last().map(|r| r.seq.to_string());
            }
            if let (Some(first), Some(last)) = (rows.first(), rows.last()) {
                out.links = Some((first.prev_hash.clone(), last.hash.clone()));
            }
            out.events = rows;
        }
        Dataset::Assignments => by_id!(
            db::assignments::history_in_subtree(conn, &job.scope, after, PAGE)?,
            |r: &db::assignments::AssignmentRow| r.valid_from,
            super::assignments::Assignment::try_from
        ),
        Dataset::Flags => by_id!(
            db::flags::list(conn, &job.scope, &Default::default(), after, PAGE - 1)?,
            |r: &db::flags::FlagRow| r.raised_at,
            super::flags::Flag::try_from
        ),
        Dataset::FieldChecks => by_id!(
            db::field_checks::list(conn, &job.scope, &Default::default(), after, PAGE - 1)?,
            |r: &db::field_checks::FieldCheckRow| r.performed_at,
            super::field_checks::FieldCheck::try_from
        ),
        Dataset::ExitCases => by_id!(
            db::exit_cases::list(conn, &job.scope, &Default::default(), after, PAGE - 1)?,
            |r: &db::exit_cases::ExitCaseRow| r.created_at,
            ExitCase::try_from
        ),
        Dataset::Rms => by_id!(
            db::rms::list(conn, &job.scope, &Default::default(), after, PAGE - 1)?,
            |r: &db::rms::RmRow| r.created_at,
            |r| Rm::view(r, &job.caller, &job.policy)
        ),
        Dataset::Customers => by_id!(
            db::customers::page_by_id(conn, &job.scope, after, PAGE - 1)?,
            |r: &db::customers::CustomerRow| r.created_at,
            |r| Customer::view(r, &job.caller)
        ),
        Dataset::Scores => {
            // Months are small (one row per RM): one page.
            let month = |d: Option<NaiveDateTime>, default: &str| {
                d.map(|d| d.format("%Y-%m").to_string())
                    .unwrap_or_else(|| default.into())
            };
            let to = job
                .range
                .1
                .and_then(|t| t.checked_sub_signed(chrono::Duration::days(1)));
            if after.is_none() {
                for r in db::performance::scores_between(
                    conn,
                    &job.scope,
                    &month(job.range.0, "0000-01"),
                    &month(to, "9999-12"),
                )? {
                    out.items.push(&item(&Score::from_row(r)?, job.unmasked)?);
                }
            }
        }
    }
    Ok(out)
}

/// Reads every page in one read-only transaction (one consistent picture) and hands the bytes to
/// the response; returns the manifest of what was sent.
fn produce(
    db: &Db,
    job: &Job,
    format: Format,
    tx: &tokio::sync::mpsc::Sender<Result<Bytes, std::io::Error>>,
    manifest: &mut Manifest,
) -> AppResult<()> {
    let mut conn = db.reader_for(Some(&job.caller.user_id))?;
    let conn: &mut DbConn = &mut conn;
    let mut digest = Sha256::new();
    let send = |bytes: Vec<u8>| -> bool { tx.blocking_send(Ok(Bytes::from(bytes))).is_ok() };
    conn.transaction(|conn| {
        if let DbConn::Pg(_) = conn {
            conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
        }
        let (version, _) = db::policy::current(conn)?;
        manifest.policy_version = version;
        if format == Format::Json && !send(b"{\"items\":[".to_vec()) {
            return Ok(());
        }
        // Reading a page overlaps with rendering, digesting and sending the one before. Rows go
        // back to the reading thread to be freed where they were allocated.
        let (pages, inbox) = std::sync::mpsc::sync_channel::<Page>(2);
        let (spent, graveyard) = std::sync::mpsc::channel::<Vec<db::audit::AuditEventRow>>();
        let sent_all = std::thread::scope(|scope| {
            let emitter = scope.spawn(|| -> AppResult<bool> {
                let mut emit = |items: Items| -> bool {
                    if items.ends.is_empty() {
                        return true;
                    }
                    digest.update(&items.bytes);
                    let chunk = match format {
                        Format::Ndjson => {
                            manifest.row_count += items.ends.len() as u64;
                            items.bytes
                        }
                        Format::Json => {
                            let mut chunk = Vec::with_capacity(items.bytes.len());
                            for item in items.iter() {
                                if manifest.row_count > 0 {
                                    chunk.push(b',');
                                }
                                chunk.extend_from_slice(item);
                                manifest.row_count += 1;
                            }
                            chunk
                        }
                    };
                    send(chunk)
                };
                for mut p in inbox {
                    if let Some((from, to)) = p.links.take() {
                        manifest.chain_from.get_or_insert(from);
                        manifest.chain_to = Some(to);
                    }
                    let parts = if p.events.is_empty() {
                        vec![p.items]
                    } else {
                        let parts = render_events(&p.events, job.unmasked)?;
                        let _ = spent.send(p.events);
                        parts.into()
                    };
                    for items in parts {
                        if !emit(items) {
                            return Ok(false);
                        }
                    }
                }
                Ok(true)
            });
            let mut after: Option<String> = None;
            let read = loop {
                while let Ok(rows) = graveyard.try_recv() {
                    drop(rows);
                }
                let p = match page(conn, job, after.as_deref()) {
                    Ok(p) => p,
                    Err(e) => break Err(e),
                };
                let next = p.next.clone();
                if pages.send(p).is_err() {
                    break Ok(());
                }
                match next {
                    Some(n) => after = Some(n),
                    None => break Ok(()),
                }
            };
            drop(pages);
            let sent = emitter
                .join()
                .map_err(|_| AppError::Internal("export emitter panicked".into()))??;
            read.map(|_| sent)
        })?;
        if !sent_all {
            return Ok(());
        }
        manifest.complete = true;
        Ok::<(), AppError>(())
    })?;
    manifest.items_sha256 = hex::encode(digest.finalize());
    manifest.signature = Some(job.signer.sign(&crate::anchor::manifest_message(
        manifest.row_count,
        &manifest.items_sha256,
        manifest.chain_from.as_deref(),
        manifest.chain_to.as_deref(),
    )));
    if manifest.complete {
        let text = serde_json::to_vec(&manifest)?;
        let tail = match format {
            Format::Json => [b"],\"manifest\":".as_slice(), &text, b"}\n"].concat(),
            Format::Ndjson => [text.as_slice(), b"\n"].concat(),
        };
        send(tail);
    }
    Ok(())
}

/// Export a dataset of the caller's subtree (auditor, admin; M-3), streamed: JSON
/// `{"items": [...], "manifest": {...}}` or NDJSON (one item per line, the manifest last). Personal
/// data is masked unless the caller may see it. The export is recorded in the audit log with its
/// row count and digest.
#[utoipa::path(
    tag = "audit",
    params(("dataset" = Dataset, Path, description = "what to export"), ExportParams),
    responses(
        (status = 200, description = "the items and the manifest: JSON `{\"items\": [...], \"manifest\": {...}}`, or NDJSON with one item per line and the manifest last",
            content(
                (ExportDocument = "application/json"),
                (serde_json::Value = "application/x-ndjson")
            )),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/exports/{dataset}")]
pub async fn export(
    state: web::Data<AppState>,
    caller: Caller,
    dataset: web::Path<String>,
    q: Query<ExportParams>,
) -> AppResult<HttpResponse> {
    caller.require(Permission::Export)?;
    let dataset = Dataset::parse(&dataset).ok_or_else(|| {
        AppError::field(
            "dataset",
            format!(
                "one of {}",
                Dataset::ALL
                    .iter()
                    .map(|d| d.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )
    })?;
    let q = q.0;
    if let (Some(from), Some(to)) = (q.from, q.to) {
        if from > to {
            return Err(AppError::field("to", "must not be before from"));
        }
    }
    let format = q.format.unwrap_or(Format::Json);
    let lookup = caller.clone();
    let unit = q.org_unit_id.clone();
    let (scope, policy, whole_bank) = state
        .db
        .read(move |conn| {
            let scope = db::org_units::list_scope(conn, &lookup.org_path, unit.as_deref())?;
            let whole_bank = db::org_units::is_whole_bank(conn, &scope)?;
            Ok((scope, db::policy::current(conn)?.1, whole_bank))
        })
        .await?;
    // P-2: a day runs from midnight to midnight in the bank's time zone.
    let clock = caller.clock;
    let day = |d: NaiveDate| Some(clock.instant_of(d, chrono::NaiveTime::MIN));
    let job = Job {
        unmasked: caller.may(Permission::ReadPersonalData),
        caller,
        dataset,
        scope,
        range: (
            q.from.and_then(day),
            q.to.and_then(|t| t.succ_opt()).and_then(day),
        ),
        policy,
        signer: state.signer.clone(),
    };
    let mut manifest = Manifest {
        dataset: dataset.as_str().into(),
        format: format.as_str().into(),
        filters: Filters {
            org_unit_id: q.org_unit_id,
            from: q.from,
            to: q.to,
        },
        generated_at: db::audit::format_instant(&job.caller.now()),
        generated_by: job.caller.username.clone(),
        policy_version: 0,
        row_count: 0,
        items_sha256: String::new(),
        chain_from: None,
        chain_to: None,
        contiguous: dataset == Dataset::AuditEvents && whole_bank,
        complete: false,
        key_id: state.signer.key_id(),
        signature: None,
    };
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let db = state.db.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let outcome = produce(&db, &job, format, &tx, &mut manifest);
        if let Err(e) = &outcome {
            tracing::error!(error = %e, dataset = %manifest.dataset, "export failed");
            let _ = tx.blocking_send(Err(std::io::Error::other(e.to_string())));
        }
        // M-3: the export itself is evidence.
        let record = || -> AppResult<()> {
            let mut writer = db.writer()?;
            let writer: &mut DbConn = &mut writer;
            writer.transaction(|conn| {
                crate::commands::exports::record(
                    conn,
                    &job.caller.actor(),
                    &job.scope,
                    &manifest,
                    &job.signer,
                )
            })?;
            db.written_by(writer, &job.caller.user_id);
            Ok(())
        };
        if let Err(e) = record() {
            tracing::error!(error = %e, "could not record the export in the audit log");
        }
    });
    let stream = futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx));
    let content_type = match format {
        Format::Json => "application/json",
        Format::Ndjson => "application/x-ndjson",
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"{}.{}\"",
                dataset.as_str(),
                format.as_str()
            ),
        ))
        .streaming(stream))
}

pub fn configure(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(export);
}
