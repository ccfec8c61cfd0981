//! Reads that never leave the HTTP worker's thread on PostgreSQL.
//!
//! A read through [`super::Db::run`] hops from the worker to a blocking thread, waits there on libpq,
//! and hops back: four thread wake-ups around one round trip, which profiles of `getApplication` showed
//! as most of its cost. Here each worker thread has connections of its own, driven by its own event
//! loop (diesel-async over tokio-postgres), so a read is one socket write and one wake-up for the answer.
//! The queries are the same diesel queries the blocking path runs; only the driver differs. SQLite has
//! no asynchronous driver and keeps the blocking path.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::thread::ThreadId;
use std::time::Duration;

use diesel_async::{AsyncConnection, AsyncPgConnection};
use tokio::sync::Mutex;

use crate::error::{ApiError, ApiResult};

/// Each thread's PostgreSQL connections for reads, opened on first use.
pub struct AsyncReads {
    url: String,
    per_thread: usize,
    connect_timeout: Duration,
    threads: RwLock<HashMap<ThreadId, Arc<ThreadConnections>>>,
    /// Connections held in slots now, for `/metrics`.
    open: AtomicUsize,
}

/// One thread's connections. They are shared, not checked out: concurrent reads on one connection are
/// pipelined, so a burst of reads leaves in one socket write and PostgreSQL answers them in one pass.
/// Only single statements outside transactions go through here, so sharing cannot mix transactions; a
/// slow statement delays the ones queued behind it on its connection, which is why there are several.
struct ThreadConnections {
    slots: Vec<Mutex<Option<Arc<AsyncPgConnection>>>>,
    next: AtomicUsize,
}

impl AsyncReads {
    pub fn new(url: &str, per_thread: usize, connect_timeout: Duration) -> Arc<Self> {
        Arc::new(Self {
            url: url.to_owned(),
            per_thread: per_thread.max(1),
            connect_timeout,
            threads: RwLock::new(HashMap::new()),
            open: AtomicUsize::new(0),
        })
    }

    /// Runs `query` on the next of this thread's connections. A failure other than "no row" drops the
    /// connection, since it may be the connection that failed, and a read that found its connection
    /// gone (a restart of PostgreSQL, a terminated backend) runs once more on a new one.
    pub async fn load<Q, U>(&self, query: Q) -> ApiResult<Vec<U>>
    where
        Q: for<'c> diesel_async::methods::LoadQuery<'static, &'c AsyncPgConnection, U>
            + Clone
            + Send
            + 'static,
        U: Send + 'static,
    {
        let conns = self.this_thread();
        let slot = &conns.slots[conns.next.fetch_add(1, Ordering::Relaxed) % conns.slots.len()];
        let mut retried = false;
        loop {
            let conn = self.connection(slot).await?;
            match diesel_async::RunQueryDsl::load(query.clone(), &mut &*conn).await {
                Ok(rows) => return Ok(rows),
                Err(diesel::result::Error::NotFound) => return Err(diesel::result::Error::NotFound.into()),
                Err(e) => {
                    let mut held = slot.lock().await;
                    if held.as_ref().is_some_and(|c| Arc::ptr_eq(c, &conn)) {
                        *held = None;
                        self.open.fetch_sub(1, Ordering::Relaxed);
                    }
                    if retried || !lost_connection(&e) {
                        return Err(e.into());
                    }
                    retried = true;
                }
            }
        }
    }

    async fn connection(
        &self,
        slot: &Mutex<Option<Arc<AsyncPgConnection>>>,
    ) -> ApiResult<Arc<AsyncPgConnection>> {
        let mut held = slot.lock().await;
        if let Some(conn) = held.as_ref() {
            return Ok(conn.clone());
        }
        let conn =
            match tokio::time::timeout(self.connect_timeout, AsyncPgConnection::establish(&self.url)).await {
                Ok(Ok(conn)) => Arc::new(conn),
                Ok(Err(e)) => return Err(ApiError::unavailable(e)),
                Err(_) => return Err(ApiError::unavailable("timed out connecting to the database")),
            };
        *held = Some(conn.clone());
        self.open.fetch_add(1, Ordering::Relaxed);
        Ok(conn)
    }

    /// Connections the threads hold now.
    pub fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    fn this_thread(&self) -> Arc<ThreadConnections> {
        let thread = std::thread::current().id();
        if let Some(c) = self.threads.read().unwrap_or_else(|e| e.into_inner()).get(&thread) {
            return c.clone();
        }
        let fresh = ThreadConnections {
            slots: (0..self.per_thread).map(|_| Mutex::new(None)).collect(),
            next: AtomicUsize::new(0),
        };
        self.threads
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .entry(thread)
            .or_insert_with(|| Arc::new(fresh))
            .clone()
    }
}

/// Opens one connection and closes it: whether the asynchronous driver can reach the database with `url`.
pub async fn try_connect(url: &str, timeout: Duration) -> Result<(), String> {
    match tokio::time::timeout(timeout, AsyncPgConnection::establish(url)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out".into()),
    }
}

/// Whether an error says the connection is gone rather than that the statement failed.
fn lost_connection(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    matches!(
        e,
        Error::DatabaseError(DatabaseErrorKind::UnableToSendCommand | DatabaseErrorKind::ClosedConnection, _)
    )
}

/// Whether a connection must be encrypted: `sslmode` in the URL, else `PGSSLMODE`, names a mode other
/// than `disable`, `allow` or `prefer` (which libpq may also satisfy without TLS).
pub fn wants_tls(url: &str, env_mode: Option<&str>) -> bool {
    let in_url = url
        .split_once('?')
        .and_then(|(_, query)| query.split('&').find_map(|pair| pair.strip_prefix("sslmode=")));
    match in_url.or(env_mode) {
        None | Some("disable" | "allow" | "prefer") => false,
        Some(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::wants_tls;

    #[test]
    fn tls_is_wanted_when_the_url_or_the_environment_requires_it() {
        assert!(!wants_tls("postgres://db/app", None));
        assert!(!wants_tls("postgres://db/app?sslmode=disable", Some("require")), "the URL wins");
        assert!(!wants_tls("postgres://db/app?application_name=x&sslmode=prefer", None));
        assert!(wants_tls("postgres://db/app?sslmode=require", None));
        assert!(wants_tls("postgres://db/app?connect_timeout=2&sslmode=verify-full", None));
        assert!(wants_tls("postgres://db/app", Some("verify-ca")));
        assert!(!wants_tls("postgres://db/app", Some("prefer")));
    }
}
