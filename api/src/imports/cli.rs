//! `rmdesk import --kind KIND FILE [--dry-run] [--mapping FILE] [--as USER]`: the same import as
//! `POST /imports`, run on this machine with a progress bar, as a named admin (the audit trail
//! names a person, never "the command line").

use std::time::Duration;

use super::{begin, digest, execute, Format, Input, Kind, Mapping, Progress, Running, Status};
use crate::auth::Caller;
use crate::config::Config;
use crate::db::Db;
use crate::domain::role::{allows, split_roles, Permission};

pub fn run(config: &Config, args: &[String]) -> Result<(), String> {
    let value = |flag: &str| -> Result<Option<&String>, String> {
        match args.iter().position(|a| a == flag) {
            Some(i) => args
                .get(i + 1)
                .map(Some)
                .ok_or(format!("{flag} needs a value")),
            None => Ok(None),
        }
    };
    let kind_text = value("--kind")?.ok_or("--kind is required")?;
    let kind = Kind::parse(kind_text).ok_or(format!("unknown kind `{kind_text}`"))?;
    let mapping_text = match value("--mapping")? {
        Some(path) => {
            Some(std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?)
        }
        None => None,
    };
    let username = value("--as")?.map_or("admin", |s| s.as_str()).to_string();
    let flags_with_values = ["--kind", "--mapping", "--as"];
    let file = args
        .iter()
        .enumerate()
        .find(|(i, a)| {
            !a.starts_with("--") && (*i == 0 || !flags_with_values.contains(&args[i - 1].as_str()))
        })
        .map(|(_, a)| a)
        .ok_or("the FILE to import is missing")?;
    let bytes = std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    let format = Format::of_file_name(file).map_err(|e| e.to_string())?;
    let mapping = Mapping::new(kind, mapping_text.as_deref()).map_err(|e| e.to_string())?;

    let db = Db::connect(&config.database, 2)?;
    crate::startup::bootstrap(&db, config).map_err(|e| e.to_string())?;
    let caller = caller_named(&db, config, &username)?;
    let search_key =
        crate::national_ids::SearchKey::load(config.search_key.as_deref(), &config.data_dir)?;
    let input = Input {
        kind,
        sha256: digest(&bytes),
        bytes,
        format,
        mapping,
        dry_run: args.iter().any(|a| a == "--dry-run"),
        id: crate::http::new_id(),
        file_name: std::path::Path::new(file)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned()),
    };
    let row = {
        let mut conn = db.writer().map_err(|e| e.to_string())?;
        diesel::Connection::transaction(&mut *conn, |conn| begin(conn, &caller, &input))
            .map_err(|e| e.to_string())?
    };
    let progress = Progress::default();
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{msg:>10} [{bar:40}] {pos}/{len} rows, {per_sec}, {elapsed}",
        )
        .map_err(|e| e.to_string())?
        .progress_chars("=> "),
    );
    let finished = std::sync::atomic::AtomicBool::new(false);
    let row = std::thread::scope(|s| {
        s.spawn(|| {
            while !finished.load(std::sync::atomic::Ordering::Relaxed) {
                let p = progress.snapshot();
                bar.set_length(p.rows_total.unwrap_or(0).max(p.rows_read));
                bar.set_position(p.rows_read);
                bar.set_message(p.phase.as_str());
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        let row = execute(
            &db,
            &Running::default(),
            &caller,
            &search_key,
            &input,
            &progress,
            row,
        );
        finished.store(true, std::sync::atomic::Ordering::Relaxed);
        row
    })
    .map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    let seconds = row.finished_at.map_or(0.0, |f| {
        (f - row.started_at).num_milliseconds() as f64 / 1000.0
    });
    let report = serde_json::json!({
        "id": row.id,
        "kind": row.kind,
        "dry_run": row.dry_run,
        "status": row.status,
        "rows_read": row.rows_read,
        "seconds": seconds,
        "rows_per_second": if seconds > 0.0 { (row.rows_read as f64 / seconds).round() } else { 0.0 },
        "inserted": row.inserted,
        "updated": row.updated,
        "unchanged": row.unchanged,
        "errors_total": row.errors_total,
        "errors": serde_json::from_str::<serde_json::Value>(&row.errors).unwrap_or_default(),
        "sha256": row.sha256,
    });
    println!(
        "{}",
        serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
    );
    match Status::parse(&row.status) {
        Some(Status::Succeeded) => Ok(()),
        _ => Err(format!("import {}: {}", row.status, row.id)),
    }
}

/// The signed-in identity of an admin, for the command line.
fn caller_named(db: &Db, config: &Config, username: &str) -> Result<Caller, String> {
    let mut conn = db.writer().map_err(|e| e.to_string())?;
    let user = crate::db::users::find_by_username(&mut conn, username)
        .map_err(|e| e.to_string())?
        .filter(|u| u.active)
        .ok_or(format!("no active user `{username}` (use --as USER)"))?;
    let roles = split_roles(&user.roles);
    if !allows(&roles, Permission::Import) {
        return Err(format!(
            "`{username}` is not an admin: imports need the admin role"
        ));
    }
    Ok(Caller {
        user_id: user.id,
        username: user.username,
        roles,
        org_unit_id: user.org_unit_id,
        org_path: user.org_path,
        request_id: format!("cli-import-{}", crate::http::new_id()),
        clock: config.clock,
        token_id: String::new(),
        token_expires_at: 0,
        security_stamp: user.security_stamp.clone(),
    })
}
