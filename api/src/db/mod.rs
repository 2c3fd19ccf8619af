//! Storage: one diesel codebase over embedded SQLite (default) and PostgreSQL.
//!
//! `DbConn` is a `MultiConnection` enum chosen from the URL scheme. SQLite gets one writer
//! connection (writes queue in process instead of failing with "database is locked") and a pool of
//! readers; PostgreSQL gets one pool for both, and optionally a replica's pool for reads
//! ([`reads`]).

/// Multi-row insert in chunks, on the inner connection (batch inserts do not go through the
/// `MultiConnection` enum).
macro_rules! insert_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        for chunk in $rows.chunks(1000) {
            match &mut *$conn {
                $crate::db::DbConn::Sqlite(c) => {
                    diesel::insert_into($table).values(chunk).execute(c)?
                }
                $crate::db::DbConn::Pg(c) => {
                    diesel::insert_into($table).values(chunk).execute(c)?
                }
            };
        }
    }};
}
pub(crate) use insert_rows;

/// [`insert_rows`] for bulk loads: PostgreSQL takes the rows through binary `COPY` (several times
/// faster than multi-row inserts for a million rows), SQLite through multi-row inserts.
macro_rules! copy_rows {
    ($conn:expr, $table:expr, $rows:expr) => {{
        match &mut *$conn {
            $crate::db::DbConn::Sqlite(c) => {
                for chunk in $rows.chunks(1000) {
                    diesel::insert_into($table).values(chunk).execute(c)?;
                }
            }
            $crate::db::DbConn::Pg(c) => {
                use diesel::prelude::ExecuteCopyFromDsl as _;
                diesel::copy_from($table)
                    .from_insertable($rows)
                    .execute(c)?;
            }
        };
    }};
}
pub(crate) use copy_rows;

/// `$column` (an org path) inside the subtree `$scope`, checked row by row: on SQLite written
/// `+column`, so that the planner drives the query with its other index (the one that gives the
/// page's order) instead of walking the whole subtree first.
macro_rules! in_subtree_per_row {
    ($conn:expr, $column:literal, $scope:expr) => {{
        let (low, high) = $crate::db::subtree_range($scope);
        let plus = if matches!($conn, $crate::db::DbConn::Sqlite(_)) {
            "+"
        } else {
            ""
        };
        diesel::dsl::sql::<diesel::sql_types::Bool>(&format!("{plus}{} >= ", $column))
            .bind::<diesel::sql_types::Text, _>(low)
            .sql(&format!(" AND {plus}{} < ", $column))
            .bind::<diesel::sql_types::Text, _>(high)
    }};
}
pub(crate) use in_subtree_per_row;

/// Runs `$body` with `$c` bound to the inner connection of either backend (raw SQL, `COPY`).
macro_rules! on_inner {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Pg($c) => $body,
        }
    };
}
pub(crate) use on_inner;

/// Text of a raw statement written with `$1`-style parameters, for the connection's dialect.
pub fn dialect(conn: &DbConn, sql: &str) -> String {
    match conn {
        DbConn::Sqlite(_) => sql.replace('$', "?"),
        DbConn::Pg(_) => sql.to_string(),
    }
}

pub mod approvals;
pub mod assignments;
pub mod audit;
pub mod conduct;
pub mod customers;
pub mod exit_cases;
pub mod field_checks;
pub mod flags;
pub mod handovers;
pub mod idempotency;
pub mod imports;
pub mod jobs;
pub mod kept;
pub mod loan_import;
pub mod loans;
pub mod org_units;
pub mod outbox;
pub mod overview;
pub mod partitions;
pub mod performance;
pub mod policy;
pub mod reads;
pub mod rms;
pub mod schema;
pub mod sessions;
pub mod users;
pub mod waiting;
pub mod webhooks;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;
use diesel::sqlite::SqliteConnection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::error::{AppError, AppResult};

pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations/postgres");

/// Pragmas for every SQLite connection (the migration one too): WAL, foreign keys, busy timeout.
/// No connection checkpoints the WAL when it commits: [`Checkpointer`] does, in the background, so a
/// large transaction's answer does not wait for its pages to be copied into the database file. The
/// WAL file is cut back to 64 MiB once checkpointed (a million-row import grows it past 1 GiB).
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -65536; \
     PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 0; \
     PRAGMA journal_size_limit = 67108864;";

/// The one SQLite writer keeps more pages in memory than a reader: a bulk import's indexes are its
/// working set, and pages it has to read back from the file cost it a system call each.
const SQLITE_WRITER_PRAGMAS: &str = "PRAGMA cache_size = -262144;";

/// Copies committed WAL pages into the SQLite database file every [`Checkpointer::EVERY`], on its
/// own thread and connection, until the last handle of its [`Db`] is dropped. Passive: it never
/// waits for, nor blocks, readers and the writer.
struct Checkpointer;

impl Checkpointer {
    const EVERY: Duration = Duration::from_millis(500);

    fn start(target: &DbTarget) -> Result<std::sync::Arc<()>, String> {
        let alive = std::sync::Arc::new(());
        let handle = std::sync::Arc::downgrade(&alive);
        let mut conn = establish(target)?;
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || {
                while handle.strong_count() > 0 {
                    std::thread::sleep(Self::EVERY);
                    if let Err(e) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
                        tracing::warn!(error = %e, "WAL checkpoint failed");
                    }
                }
            })
            .map_err(|e| format!("cannot start the checkpoint thread: {e}"))?;
        Ok(alive)
    }
}

#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(PgConnection),
    Sqlite(SqliteConnection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// Where the data lives, parsed from `DATABASE_URL`.
#[derive(Debug, Clone)]
pub struct DbTarget {
    pub backend: Backend,
    /// A libpq URL, or the SQLite file path.
    pub location: String,
    /// PostgreSQL behind a transaction pooler (`DATABASE_POOLER=transaction`): a connection may be
    /// another server session at each transaction, so no statement is prepared to be used again.
    pub behind_pooler: bool,
}

impl DbTarget {
    pub fn parse(url: &str) -> Result<Self, String> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Self {
                backend: Backend::Postgres,
                location: url.to_string(),
                behind_pooler: false,
            })
        } else if let Some(path) = url.strip_prefix("sqlite://") {
            Ok(Self {
                backend: Backend::Sqlite,
                location: path.to_string(),
                behind_pooler: false,
            })
        } else {
            Err(format!("DATABASE_URL must start with postgres://, postgresql:// or sqlite:// (got {url:?})"))
        }
    }
}

/// Opens connections for r2d2 and shows the real connection error (the derived `establish`
/// hides it behind "Invalid connection url for multiconnection").
#[derive(Debug, Clone)]
pub struct Manager {
    target: DbTarget,
    /// SQLite: extra pragmas of this pool's connections.
    pragmas: &'static str,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match self.target.backend {
            Backend::Postgres => {
                let mut conn = PgConnection::establish(&self.target.location)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                if self.target.behind_pooler {
                    // Each statement is then sent with its parameters in one message (unnamed),
                    // which any server session behind the pooler can run.
                    conn.set_prepared_statement_cache_size(diesel::connection::CacheSize::Disabled);
                }
                Ok(DbConn::Pg(conn))
            }
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.target.location)
                    .map_err(diesel::r2d2::Error::ConnectionError)?;
                conn.batch_execute(SQLITE_PRAGMAS)
                    .and_then(|()| conn.batch_execute(self.pragmas))
                    .map_err(diesel::r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// One connection outside the pools (tools and tests).
pub fn establish(target: &DbTarget) -> Result<DbConn, String> {
    use r2d2::ManageConnection;
    Manager {
        target: target.clone(),
        pragmas: "",
    }
    .connect()
    .map_err(|e| e.to_string())
}

/// The database handle shared by all workers.
#[derive(Clone)]
pub struct Db {
    pub backend: Backend,
    read: Pool,
    write: Pool,
    /// PostgreSQL: the streaming replica that serves reads, when `DATABASE_READ_URL` is set.
    replica: Option<std::sync::Arc<reads::Replica>>,
    /// SQLite: keeps the [`Checkpointer`] running.
    _checkpointer: Option<std::sync::Arc<()>>,
}

impl Db {
    /// Connects, applies the embedded migrations and returns the pools.
    pub fn connect(target: &DbTarget, max_connections: u32) -> Result<Self, String> {
        if target.backend == Backend::Sqlite {
            if let Some(dir) = std::path::Path::new(&target.location)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
            }
        }
        let build = |size: u32, pragmas: &'static str| {
            let manager = Manager {
                target: target.clone(),
                pragmas,
            };
            r2d2::Pool::builder()
                .max_size(size)
                .min_idle(Some(1))
                .connection_timeout(Duration::from_secs(5))
                .build(manager)
                .map_err(|e| format!("cannot connect to the database: {e}"))
        };
        let write = match target.backend {
            Backend::Sqlite => build(1, SQLITE_WRITER_PRAGMAS)?,
            Backend::Postgres => build(max_connections, "")?,
        };
        {
            let mut conn = write
                .get()
                .map_err(|e| format!("cannot connect to the database: {e}"))?;
            run_migrations(&mut conn)?;
        }
        let (read, checkpointer) = match target.backend {
            Backend::Sqlite => (
                build(max_connections, "")?,
                Some(Checkpointer::start(target)?),
            ),
            Backend::Postgres => (write.clone(), None),
        };
        Ok(Self {
            backend: target.backend,
            read,
            write,
            replica: None,
            _checkpointer: checkpointer,
        })
    }

    /// Sends reads to the streaming replica at `replica` while it lags `primary` by at most
    /// `max_lag` (see [`reads`]).
    pub fn with_replica(
        mut self,
        primary: &DbTarget,
        replica: &DbTarget,
        max_connections: u32,
        max_lag: Duration,
    ) -> Result<Self, String> {
        if primary.backend != Backend::Postgres || replica.backend != Backend::Postgres {
            return Err("DATABASE_READ_URL needs DATABASE_URL and itself on PostgreSQL".into());
        }
        // Lazily: a replica that is down at start is skipped, not a reason not to start.
        let pool = r2d2::Pool::builder()
            .max_size(max_connections)
            .min_idle(Some(0))
            .connection_timeout(Duration::from_secs(2))
            .build_unchecked(Manager {
                target: replica.clone(),
                pragmas: "",
            });
        self.replica = Some(reads::Replica::start(primary, replica, pool, max_lag)?);
        Ok(self)
    }

    /// The replica serving reads, if any.
    pub fn replica(&self) -> Option<&reads::Replica> {
        self.replica.as_deref()
    }

    /// Runs `f` on a reader connection in the blocking pool: on the replica when there is one that
    /// is fresh enough and has the caller's own writes ([`reads`]), else on the primary.
    pub async fn read<T, F>(&self, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
    {
        self.read_on(true, f).await
    }

    /// [`Db::read`] on the primary whatever the replica's state: what must be current (sessions).
    pub async fn read_primary<T, F>(&self, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
    {
        self.read_on(false, f).await
    }

    async fn read_on<T, F>(&self, replica_allowed: bool, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
    {
        let db = self.clone();
        let user = reads::current_user();
        actix_web::web::block(move || {
            let mut conn = if replica_allowed {
                db.reader_for(user.as_deref())?
            } else {
                db.reader()?
            };
            f(&mut conn)
        })
        .await?
    }

    /// A reader connection for `user`'s reads (blocking): the replica's when [`reads::choose`]
    /// allows it, else the primary's.
    pub fn reader_for(&self, user: Option<&str>) -> AppResult<r2d2::PooledConnection<Manager>> {
        let Some(replica) = &self.replica else {
            return Ok(self.read.get()?);
        };
        // The caller's last write matters only while the replica could serve at all.
        let mark = match (replica.state(), user) {
            (Some(_), Some(user)) => reads::last_write(&mut *self.read.get()?, user)?,
            _ => None,
        };
        if replica.route(mark) == reads::Target::Replica {
            match replica.pool.get() {
                Ok(conn) => return Ok(conn),
                Err(e) => {
                    tracing::warn!(error = %e, "the replica is unreachable; reading the primary")
                }
            }
        }
        Ok(self.read.get()?)
    }

    /// Runs `f` in one transaction on a writer connection: every multi-row change, with its audit
    /// event, commits together or not at all.
    pub async fn write<T, F>(&self, f: F) -> AppResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
    {
        let db = self.clone();
        let user = reads::current_user();
        actix_web::web::block(move || {
            let mut conn = db.write.get()?;
            let conn: &mut DbConn = &mut conn;
            let done = conn.transaction(f)?;
            if let Some(user) = user {
                db.written_by(conn, &user);
            }
            Ok(done)
        })
        .await?
    }

    /// After `user`'s write committed on `conn` (the primary): with a replica, keeps the primary's
    /// position for read-your-writes ([`reads`]). Blocking. The write stands either way; without
    /// its mark the user's next reads may reach the replica before it has replayed the write, so a
    /// failure is logged as an error.
    pub fn written_by(&self, conn: &mut DbConn, user: &str) {
        if self.replica.is_some() {
            if let Err(e) = reads::mark_write(conn, user) {
                tracing::error!(error = %e, %user, "could not keep a write's position for read-your-writes");
            }
        }
    }

    /// A reader connection on the primary, outside the async workers (the scheduler, webhook
    /// deliveries: they must see every commit).
    pub fn reader(&self) -> AppResult<r2d2::PooledConnection<Manager>> {
        Ok(self.read.get()?)
    }

    /// A writer connection for start-up and batch jobs (not for request handlers).
    pub fn writer(&self) -> AppResult<r2d2::PooledConnection<Manager>> {
        Ok(self.write.get()?)
    }

    /// Each pool's open and idle connections and its most: `(name, open, idle, max)`.
    pub fn pool_states(&self) -> [(&'static str, u32, u32, u32); 2] {
        let (read, write) = (self.read.state(), self.write.state());
        [
            (
                "read",
                read.connections,
                read.idle_connections,
                self.read.max_size(),
            ),
            (
                "write",
                write.connections,
                write.idle_connections,
                self.write.max_size(),
            ),
        ]
    }

    /// `/ready`: the database answers and no migration is pending.
    pub fn is_ready(&self) -> bool {
        let Ok(mut conn) = self.read.get() else {
            return false;
        };
        let migrations = match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        };
        conn.batch_execute("SELECT 1").is_ok()
            && matches!(conn.has_pending_migration(migrations), Ok(false))
    }
}

pub fn run_migrations(conn: &mut DbConn) -> Result<(), String> {
    let migrations = match conn {
        DbConn::Sqlite(_) => SQLITE_MIGRATIONS,
        DbConn::Pg(_) => POSTGRES_MIGRATIONS,
    };
    conn.run_pending_migrations(migrations)
        .map(|_| ())
        .map_err(|e| format!("migration failed: {e}"))
}

/// After a bulk write of `added` rows in the current transaction: PostgreSQL's plans come from the
/// statistics gathered before it, and plans made while a table was small (its foreign-key checks are
/// planned once per connection) would scan it whole for every row that follows. Refreshes them when
/// the write was large.
pub fn after_bulk_write(conn: &mut DbConn, table: &str, added: usize) -> AppResult<()> {
    if let DbConn::Pg(c) = conn {
        if added >= 1000 {
            c.batch_execute(&format!("ANALYZE {table}"))?;
        }
    }
    Ok(())
}

/// The half-open key range `[prefix, upper)` that holds every org path under `prefix`.
/// Paths are `/id/id/.../` and compared byte-wise ("C" collation on PostgreSQL), so the upper bound
/// is the prefix with its last `/` replaced by the next byte, `0`.
/// Ids per `IN (...)` list: under SQLite's and PostgreSQL's parameter limits with room to spare.
pub const ID_CHUNK: usize = 1000;

/// Runs `load` over `ids` in chunks of [`ID_CHUNK`] and collects every row: the one way to read
/// rows for a list of ids of any length.
pub fn in_chunks<I, T, C>(
    ids: &[I],
    mut load: impl FnMut(&[I]) -> AppResult<Vec<T>>,
) -> AppResult<C>
where
    C: Default + Extend<T>,
{
    let mut out = C::default();
    for chunk in ids.chunks(ID_CHUNK) {
        out.extend(load(chunk)?);
    }
    Ok(out)
}

pub fn subtree_range(prefix: &str) -> (String, String) {
    let upper = match prefix.strip_suffix('/') {
        Some(stem) => format!("{stem}0"),
        None => format!("{prefix}0"),
    };
    (prefix.to_string(), upper)
}

/// Keyset pagination: at most `limit` rows after the cursor, and the cursor of the next page.
pub fn next_cursor<T>(
    mut rows: Vec<T>,
    limit: i64,
    id_of: impl Fn(&T) -> &str,
) -> (Vec<T>, Option<String>) {
    let limit = limit as usize;
    if rows.len() > limit {
        rows.truncate(limit);
        let cursor = rows.last().map(|r| id_of(r).to_string());
        (rows, cursor)
    } else {
        (rows, None)
    }
}

impl From<diesel::r2d2::Error> for AppError {
    fn from(err: diesel::r2d2::Error) -> Self {
        AppError::Unavailable(err.to_string())
    }
}
