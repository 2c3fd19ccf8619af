//! `rmdesk backup FILE` and `rmdesk restore FILE` (issue 23): the database and the secrets of the
//! data directory in one file, taken while the server serves, restored into an empty place.
//!
//! The file is a zip archive, stored without compression: `manifest.json` (what the backup holds,
//! with the SHA-256 of each part), the database (`database.sqlite3`, made by SQLite's `VACUUM INTO`,
//! one read transaction and so one consistent state whatever writes go on; or `database.pgdump`,
//! made by `pg_dump --format=custom`, one snapshot likewise), and the data directory's kept
//! secrets (the JWT secret, the national-ID search key, the audit signing key). Without the search
//! key a restored bank could not find a customer by national ID (M-3); without the signing key it
//! could not sign its chain as before (M-2).
//!
//! A restore writes only into an empty place: a SQLite file that does not exist yet or a
//! PostgreSQL database without tables, and a data directory without secrets. Each part is checked
//! against the manifest before anything is written.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use diesel::{Connection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::db::{Backend, DbTarget};

/// The secrets kept in the data directory that a restored bank needs.
const SECRETS: [&str; 3] = ["jwt-secret", "search-key", "audit-signing-key"];
const FORMAT: &str = "rmdesk-backup";
const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub version: u32,
    /// `sqlite` or `postgres`: a backup restores into the same kind of database.
    pub database: String,
    pub taken_at: chrono::DateTime<chrono::Utc>,
    /// Each part's name and SHA-256 (hex).
    pub parts: Vec<Part>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Part {
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
}

fn database_part(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "database.sqlite3",
        Backend::Postgres => "database.pgdump",
    }
}

fn backend_name(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    }
}

/// Writes the backup of the configured database and data directory to `file` (a new file).
pub fn backup(config: &Config, file: &Path) -> Result<Manifest, String> {
    directly(config)?;
    if file.exists() {
        return Err(format!(
            "{} exists: a backup is written to a new file",
            file.display()
        ));
    }
    let partial = sibling(file, "partial");
    let dump = sibling(file, "database");
    let _ = fs::remove_file(&dump);
    let taken_at = chrono::Utc::now();
    let result = dump_database(&config.database, &dump).and_then(|()| {
        let mut parts = vec![(
            database_part(config.database.backend).to_string(),
            dump.clone(),
        )];
        for name in SECRETS {
            let path = config.data_dir.join(name);
            if path.exists() {
                parts.push((format!("secrets/{name}"), path));
            }
        }
        write_archive(&partial, config.database.backend, taken_at, &parts)
    });
    let _ = fs::remove_file(&dump);
    match result {
        Ok(manifest) => {
            fs::rename(&partial, file)
                .map_err(|e| format!("cannot move the backup to {}: {e}", file.display()))?;
            Ok(manifest)
        }
        Err(e) => {
            let _ = fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// Restores `file` into the configured database and data directory, both empty.
pub fn restore(config: &Config, file: &Path) -> Result<Manifest, String> {
    directly(config)?;
    let mut archive = zip::ZipArchive::new(
        File::open(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?,
    )
    .map_err(|e| format!("{} is not an rmdesk backup: {e}", file.display()))?;
    let manifest: Manifest = {
        let entry = archive
            .by_name("manifest.json")
            .map_err(|_| format!("{} is not an rmdesk backup (no manifest)", file.display()))?;
        serde_json::from_reader(entry)
            .map_err(|e| format!("the backup's manifest is corrupt: {e}"))?
    };
    if manifest.format != FORMAT || manifest.version != VERSION {
        return Err(format!(
            "the backup is {} version {}; this rmdesk restores {FORMAT} version {VERSION}",
            manifest.format, manifest.version
        ));
    }
    let target = &config.database;
    if manifest.database != backend_name(target.backend) {
        return Err(format!(
            "the backup holds a {} database; DATABASE_URL names a {} one",
            manifest.database,
            backend_name(target.backend)
        ));
    }
    for name in SECRETS {
        if config.data_dir.join(name).exists() {
            return Err(format!(
                "{} already holds {name}: a restore goes into an empty data directory",
                config.data_dir.display()
            ));
        }
    }
    ensure_empty(target)?;
    // Every part is read and checked before anything is written.
    let scratch = sibling(file, "restoring");
    fs::create_dir_all(&scratch)
        .map_err(|e| format!("cannot create {}: {e}", scratch.display()))?;
    let result = (|| {
        let mut extracted = Vec::new();
        for part in &manifest.parts {
            let path = scratch.join(part.name.replace('/', "_"));
            let mut entry = archive
                .by_name(&part.name)
                .map_err(|_| format!("the backup lacks {}", part.name))?;
            let digest = copy_hashing(&mut entry, &path)?;
            if digest != part.sha256 {
                return Err(format!(
                    "{} does not match the backup's manifest: corrupt",
                    part.name
                ));
            }
            extracted.push((part.name.clone(), path));
        }
        let database = database_part(target.backend);
        let (_, dump) = extracted
            .iter()
            .find(|(name, _)| name == database)
            .ok_or_else(|| format!("the backup lacks {database}"))?;
        load_database(target, dump)?;
        fs::create_dir_all(&config.data_dir)
            .map_err(|e| format!("cannot create {}: {e}", config.data_dir.display()))?;
        for (name, path) in &extracted {
            if let Some(secret) = name.strip_prefix("secrets/") {
                let content = fs::read_to_string(path).map_err(|e| e.to_string())?;
                crate::startup::write_private(&config.data_dir.join(secret), &content)?;
            }
        }
        Ok(())
    })();
    let _ = fs::remove_dir_all(&scratch);
    result.map(|()| manifest)
}

fn sibling(file: &Path, suffix: &str) -> PathBuf {
    let mut name = file.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".{suffix}"));
    file.with_file_name(name)
}

fn dump_database(target: &DbTarget, dump: &Path) -> Result<(), String> {
    match target.backend {
        Backend::Sqlite => {
            let mut conn = diesel::SqliteConnection::establish(&target.location)
                .map_err(|e| format!("cannot open {}: {e}", target.location))?;
            diesel::sql_query("PRAGMA busy_timeout = 10000")
                .execute(&mut conn)
                .map_err(|e| format!("cannot open {}: {e}", target.location))?;
            // One read transaction: the copy is the database as of its start, while writers go on
            // in the write-ahead log.
            diesel::sql_query(format!("VACUUM INTO '{}'", quoted(dump)?))
                .execute(&mut conn)
                .map_err(|e| format!("the SQLite backup failed: {e}"))?;
            Ok(())
        }
        Backend::Postgres => run(Command::new("pg_dump")
            .arg("--format=custom")
            .arg("--no-owner")
            .arg("--file")
            .arg(dump)
            .arg(&target.location)),
    }
}

fn load_database(target: &DbTarget, dump: &Path) -> Result<(), String> {
    match target.backend {
        Backend::Sqlite => {
            let path = Path::new(&target.location);
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
            let staged = sibling(path, "restoring");
            fs::copy(dump, &staged)
                .map_err(|e| format!("cannot write {}: {e}", staged.display()))?;
            fs::rename(&staged, path).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        Backend::Postgres => run(Command::new("pg_restore")
            .arg("--no-owner")
            .arg("--exit-on-error")
            .arg("--single-transaction")
            .arg("--dbname")
            .arg(&target.location)
            .arg(dump)),
    }
}

/// The database must hold nothing: a restore never writes over a bank.
fn ensure_empty(target: &DbTarget) -> Result<(), String> {
    match target.backend {
        Backend::Sqlite => {
            let path = Path::new(&target.location);
            match fs::metadata(path) {
                Ok(m) if m.len() > 0 => Err(format!(
                    "{} exists: a restore goes into a database file that does not exist yet",
                    path.display()
                )),
                _ => Ok(()),
            }
        }
        Backend::Postgres => {
            #[derive(diesel::QueryableByName)]
            struct Count {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let mut conn = diesel::PgConnection::establish(&target.location)
                .map_err(|e| format!("cannot connect to the database: {e}"))?;
            let tables: Vec<Count> = diesel::sql_query(
                "SELECT count(*) AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
            )
            .load(&mut conn)
            .map_err(|e| e.to_string())?;
            if tables.first().map_or(0, |c| c.n) > 0 {
                return Err("the database named by DATABASE_URL has tables: a restore goes into an empty database".into());
            }
            Ok(())
        }
    }
}

fn quoted(path: &Path) -> Result<String, String> {
    let text = path
        .to_str()
        .ok_or_else(|| format!("{} is not a UTF-8 path", path.display()))?;
    Ok(text.replace('\'', "''"))
}

fn run(command: &mut Command) -> Result<(), String> {
    let program = command.get_program().to_string_lossy().into_owned();
    let out = command.output().map_err(|e| {
        format!("cannot run {program}: {e} (the PostgreSQL client tools must be installed)")
    })?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{program} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

fn write_archive(
    path: &Path,
    backend: Backend,
    taken_at: chrono::DateTime<chrono::Utc>,
    parts: &[(String, PathBuf)],
) -> Result<Manifest, String> {
    let file = File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let mut zip = zip::ZipWriter::new(file);
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .large_file(true);
    let mut manifest = Manifest {
        format: FORMAT.into(),
        version: VERSION,
        database: backend_name(backend).into(),
        taken_at,
        parts: Vec::new(),
    };
    let zipped = |e: zip::result::ZipError| format!("cannot write {}: {e}", path.display());
    for (name, source) in parts {
        zip.start_file(name.as_str(), options).map_err(zipped)?;
        let mut input =
            File::open(source).map_err(|e| format!("cannot read {}: {e}", source.display()))?;
        let (sha256, bytes) = copy_digest(&mut input, &mut zip)?;
        manifest.parts.push(Part {
            name: name.clone(),
            sha256,
            bytes,
        });
    }
    zip.start_file("manifest.json", options).map_err(zipped)?;
    zip.write_all(&serde_json::to_vec_pretty(&manifest).map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let file = zip.finish().map_err(zipped)?;
    file.sync_all().map_err(|e| e.to_string())?;
    Ok(manifest)
}

/// Copies `input` to `output`, returning the SHA-256 (hex) and length of what went through.
fn copy_digest(input: &mut impl Read, output: &mut impl Write) -> Result<(String, u64), String> {
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    let mut total = 0u64;
    loop {
        let n = input.read(&mut buffer).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        output.write_all(&buffer[..n]).map_err(|e| e.to_string())?;
        total += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), total))
}

fn copy_hashing(input: &mut impl Read, path: &Path) -> Result<String, String> {
    let mut file =
        File::create(path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(copy_digest(input, &mut file)?.0)
}

/// `pg_dump` and `pg_restore` hold one session for the whole copy, which a transaction pooler does
/// not give: they talk to the PostgreSQL server itself.
fn directly(config: &Config) -> Result<(), String> {
    if config.database.behind_pooler {
        return Err(
            "a backup or restore needs the PostgreSQL server itself: set DATABASE_URL to \
             the primary, not the transaction pooler, and unset DATABASE_POOLER"
                .into(),
        );
    }
    Ok(())
}
