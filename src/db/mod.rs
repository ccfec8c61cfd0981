//! One diesel codebase over PostgreSQL and SQLite: the connection type, the pool, migrations and the
//! bounded hand-off of blocking database work.

mod reads;
pub mod schema;
pub mod types;

use std::sync::Arc;
use std::time::Duration;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::dsl::Limit;
use diesel::prelude::*;
use diesel::query_dsl::methods::LimitDsl;
use diesel::r2d2::R2D2Connection;
use diesel_async::AsyncPgConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use tokio::sync::Semaphore;
use tracing::Instrument;

use crate::error::{ApiError, ApiResult};

const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// A connection to either backend; queries written once run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Pg(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Which database a URL names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Postgres(String),
    Sqlite(String),
}

impl Target {
    /// `postgres://` / `postgresql://` select PostgreSQL; `sqlite://PATH` or a plain path select SQLite.
    pub fn from_url(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Target::Postgres(url.to_owned())
        } else {
            let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
            Target::Sqlite(path.to_owned())
        }
    }
}

/// Opens connections for r2d2, choosing the backend from the URL instead of trying both in turn, so a wrong
/// PostgreSQL address reports a PostgreSQL error.
#[derive(Debug, Clone)]
pub struct Manager {
    target: Target,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = diesel::ConnectionError;

    fn connect(&self) -> Result<DbConn, Self::Error> {
        match &self.target {
            Target::Postgres(url) => diesel::PgConnection::establish(url).map(DbConn::Pg),
            Target::Sqlite(path) => {
                let mut conn = diesel::SqliteConnection::establish(path)?;
                // WAL lets readers run beside the one writer; the busy timeout makes writers queue
                // instead of failing at once; foreign keys are off by default in SQLite.
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                )
                .map_err(diesel::ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), Self::Error> {
        conn.batch_execute("SELECT 1").map_err(diesel::ConnectionError::CouldntSetupConfiguration)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        match conn {
            DbConn::Pg(c) => c.is_broken(),
            DbConn::Sqlite(c) => c.is_broken(),
        }
    }
}

pub type Pool = r2d2::Pool<Manager>;

/// The pool plus a gate in front of it: at most `size` blocking tasks wait for connections, the rest wait
/// here (cheaply, on the async side) and give up with 503 after the queue timeout.
#[derive(Clone)]
pub struct Db {
    pub pool: Pool,
    gate: Arc<Semaphore>,
    queue_timeout: Duration,
    connect_timeout: Duration,
    pub is_postgres: bool,
    /// Connections of their own for the writes of logins and token refreshes, when configured.
    authentication: Option<Arc<Db>>,
    /// On PostgreSQL, each worker thread's own connections for [`Db::first`] and [`Db::load`].
    reads: Option<Arc<reads::AsyncReads>>,
}

/// A query both drivers can run: the blocking one of [`DbConn`] and the asynchronous PostgreSQL one.
pub trait Load<U>:
    diesel::query_dsl::LoadQuery<'static, DbConn, U>
    + for<'c> diesel_async::methods::LoadQuery<'static, &'c AsyncPgConnection, U>
    + Clone
    + Send
    + 'static
{
}

impl<Q, U> Load<U> for Q where
    Q: diesel::query_dsl::LoadQuery<'static, DbConn, U>
        + for<'c> diesel_async::methods::LoadQuery<'static, &'c AsyncPgConnection, U>
        + Clone
        + Send
        + 'static
{
}

impl Db {
    pub fn connect(url: &str, size: u32, connect_timeout: Duration, queue_timeout: Duration) -> Self {
        let target = Target::from_url(url);
        let is_postgres = matches!(target, Target::Postgres(_));
        let pool = r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(0))
            .connection_timeout(connect_timeout)
            // A check per checkout doubles the round trips; a broken connection shows itself on use.
            .test_on_check_out(false)
            .build_unchecked(Manager { target });
        Self {
            pool,
            gate: Arc::new(Semaphore::new(size as usize)),
            queue_timeout,
            connect_timeout,
            is_postgres,
            authentication: None,
            reads: None,
        }
    }

    /// On PostgreSQL, gives each thread that reads through [`Db::first`] and [`Db::load`] `per_thread`
    /// connections of its own (0: those reads use the pool). The asynchronous driver has no TLS, so a
    /// URL or `PGSSLMODE` that asks for it keeps every query on the pool, which speaks it; so does a URL
    /// the driver cannot connect with (libpq takes options tokio-postgres does not know), found out here
    /// with one connection, so that reads never fail where the pool would have served them.
    pub async fn with_async_reads(mut self, url: &str, per_thread: u32) -> Self {
        if !self.is_postgres || per_thread == 0 {
            return self;
        }
        if reads::wants_tls(url, std::env::var("PGSSLMODE").ok().as_deref()) {
            tracing::info!("PostgreSQL over TLS: reads go through the connection pool");
            return self;
        }
        match reads::try_connect(url, self.connect_timeout).await {
            Ok(()) => {
                self.reads = Some(reads::AsyncReads::new(url, per_thread as usize, self.connect_timeout))
            }
            Err(e) => {
                tracing::warn!(error = %e, "reads go through the connection pool: the asynchronous driver cannot connect")
            }
        }
        self
    }

    /// Gives the writes of logins and token refreshes `size` connections of their own (none: they share
    /// the pool). Each login commits twice and waits for the disk flush; during a login storm those
    /// commits held every pooled connection and reads queued behind them.
    pub fn with_authentication_pool(mut self, url: &str, size: u32, connect_timeout: Duration) -> Self {
        if size > 0 {
            self.authentication =
                Some(Arc::new(Self::connect(url, size, connect_timeout, self.queue_timeout)));
        }
        self
    }

    /// Where authentication writes go: their own connections when configured, else the shared pool.
    pub fn authentication(&self) -> &Db {
        self.authentication.as_deref().unwrap_or(self)
    }

    /// Runs `f` with a pooled connection on the blocking thread pool, inside the caller's tracing span.
    pub async fn run<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
    {
        let permit = tokio::time::timeout(self.queue_timeout, self.gate.clone().acquire_owned())
            .await
            .map_err(|_| ApiError::unavailable("timed out waiting for a database connection"))?
            .map_err(ApiError::unavailable)?;
        let pool = self.pool.clone();
        let span = tracing::Span::current();
        actix_web::web::block(move || {
            let _entered = span.enter();
            let _permit = permit;
            let mut conn = pool.get()?;
            f(&mut conn)
        })
        .instrument(tracing::Span::current())
        .await?
    }

    /// The first row of a read-only query, or 404 as a missing row. On PostgreSQL it runs on this
    /// thread's own connections (see `reads`); on SQLite on the blocking pool.
    pub async fn first<Q, U>(&self, query: Q) -> ApiResult<U>
    where
        Q: LimitDsl + Send + 'static,
        Limit<Q>: Load<U>,
        U: Send + 'static,
    {
        self.load(query.limit(1)).await?.pop().ok_or_else(|| diesel::result::Error::NotFound.into())
    }

    /// Every row of a read-only query, as [`Db::first`] runs it.
    pub async fn load<Q, U>(&self, query: Q) -> ApiResult<Vec<U>>
    where
        Q: Load<U>,
        U: Send + 'static,
    {
        match &self.reads {
            Some(reads) => reads.load(query).await,
            None => self.run(move |conn| Ok(diesel::RunQueryDsl::load(query, conn)?)).await,
        }
    }

    /// Runs `f` inside one write transaction.
    pub async fn write<T, F>(&self, f: F) -> ApiResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> ApiResult<T> + Send + 'static,
    {
        self.run(move |conn| write_tx(conn, f)).await
    }

    /// One round trip to the database, for readiness: 503 while it does not answer.
    pub async fn ping(&self) -> ApiResult<()> {
        use diesel::connection::SimpleConnection;
        self.run(|conn| conn.batch_execute("SELECT 1").map_err(ApiError::unavailable)).await
    }

    /// The workers' own read connections open now, for `/metrics`; `None` when reads use the pool.
    pub fn read_connections(&self) -> Option<usize> {
        self.reads.as_ref().map(|r| r.open())
    }

    /// Connections in use and idle, for `/metrics`.
    pub fn pool_state(&self) -> (u32, u32) {
        let s = self.pool.state();
        (s.connections - s.idle_connections, s.idle_connections)
    }
}

/// A write transaction. On SQLite it starts IMMEDIATE so that a read followed by a write cannot fail with
/// SQLITE_BUSY halfway (diesel's default DEFERRED transaction upgrades its lock too late).
pub fn write_tx<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if matches!(conn, DbConn::Pg(_)) {
        return conn.transaction(f);
    }
    if let DbConn::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    let result = f(conn);
    if let DbConn::Sqlite(c) = conn {
        match &result {
            Ok(_) => {
                if let Err(e) = AnsiTransactionManager::commit_transaction(c) {
                    let _ = AnsiTransactionManager::rollback_transaction(c);
                    return Err(e.into());
                }
            }
            Err(_) => AnsiTransactionManager::rollback_transaction(c)?,
        }
    }
    result
}

/// Lets the current PostgreSQL transaction commit without waiting for its WAL flush. Only for writes
/// whose loss in a crash is harmless (attempt counters), where waiting for the disk would only hold a
/// pooled connection longer. No-op on SQLite.
pub fn relax_durability(conn: &mut DbConn) -> diesel::QueryResult<()> {
    match conn {
        DbConn::Pg(c) => c.batch_execute("SET LOCAL synchronous_commit = off"),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// Applies pending migrations. On PostgreSQL an advisory lock serialises instances that start together.
pub fn migrate(conn: &mut DbConn) -> Result<Vec<String>, Box<dyn std::error::Error + Send + Sync>> {
    let applied = match conn {
        DbConn::Pg(c) => {
            c.batch_execute("SELECT pg_advisory_lock(7170011)")?;
            let result =
                c.run_pending_migrations(PG_MIGRATIONS).map(|v| v.iter().map(|m| m.to_string()).collect());
            c.batch_execute("SELECT pg_advisory_unlock(7170011)")?;
            result?
        }
        DbConn::Sqlite(c) => {
            c.run_pending_migrations(SQLITE_MIGRATIONS)?.iter().map(|m| m.to_string()).collect()
        }
    };
    Ok(applied)
}
