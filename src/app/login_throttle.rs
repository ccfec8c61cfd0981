//! How password guesses are slowed: one home for the counters that logins and password changes share.
//!
//! Three counters per attempt, all in the database so every instance sees them, all counted *before*
//! the password is checked (a right password is forgiven afterwards), so parallel guesses cannot slip
//! past the check:
//!
//! - per login and address (`login_max_failures_per_account`): the owner's budget at one address;
//!   reaching it blocks that pair, with a delay that doubles while it keeps failing;
//! - per address, any login (`login_max_failures_per_address`): one address spraying many accounts;
//! - per login, all addresses together (`login_max_failures_per_account_all_addresses`). This one never
//!   blocks by itself, since then any stranger could lock the owner out by failing on purpose. Instead,
//!   once it is reached, every address gets only a fifth of the per-pair budget (at least one attempt)
//!   until the window passes. An attacker with many addresses is slowed five-fold, while the owner,
//!   whose own address has no failures, still gets in with the right password.
//!
//! Addresses are counted as the caller's IPv4 address or IPv6 /64 network: one subscriber usually holds
//! a whole /64, so counting single IPv6 addresses would give an attacker 2^64 budgets.

use std::net::IpAddr;

use std::sync::Arc;

use chrono::Duration;

use crate::config::Config;
use crate::db::types::now;
use crate::db::{Db, DbConn};
use crate::error::ApiResult;
use crate::state::AppState;
use crate::store::throttle;

/// What a counter is keyed by for `ip`: the address itself, or its /64 network for IPv6.
pub fn address_key(ip: &str) -> String {
    match ip.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Err(_) => ip.to_owned(),
    }
}

/// The counters of one password check: who is guessed (`login`, normalised) and from where.
pub struct PasswordGuard {
    pair: String,
    addr: String,
    account: String,
    pair_limit: u32,
    addr_limit: u32,
    account_limit: u32,
    window: Duration,
}

impl PasswordGuard {
    pub fn new(config: &Config, login: &str, ip: &str) -> Self {
        let addr = address_key(ip);
        Self {
            pair: format!("login:{login}|{addr}"),
            addr: format!("addr:{addr}"),
            account: format!("account:{login}"),
            pair_limit: config.login_max_failures_per_account,
            addr_limit: config.login_max_failures_per_address,
            account_limit: config.login_max_failures_per_account_all_addresses,
            window: Duration::seconds(config.login_window.as_secs() as i64),
        }
    }

    /// Counts one attempt; `Some(seconds)` when the caller must wait instead of having the password
    /// checked.
    pub fn count(&self, conn: &mut DbConn) -> diesel::QueryResult<Option<u64>> {
        let t = now();
        let keys = [self.pair.clone(), self.addr.clone()];
        if let Some(secs) = throttle::blocked_for(conn, &keys, t)? {
            return Ok(Some(secs));
        }
        // Never blocks by itself (the limit cannot be reached); it only shrinks the per-pair budget.
        let across = throttle::record_failure(conn, &self.account, i32::MAX as u32, self.window, t)?;
        let pair_limit =
            if across > self.account_limit as i32 { (self.pair_limit / 5).max(1) } else { self.pair_limit };
        let n = throttle::record_failure(conn, &self.pair, pair_limit, self.window, t)?;
        let m = throttle::record_failure(conn, &self.addr, self.addr_limit, self.window, t)?;
        if n > pair_limit as i32 || m > self.addr_limit as i32 {
            return Ok(Some(throttle::blocked_for(conn, &keys, t)?.unwrap_or(30)));
        }
        Ok(None)
    }

    /// The password could not be checked (the hashing pool was full): the attempt is taken back from
    /// every counter, without the fresh start a right password earns.
    pub fn take_back(&self, conn: &mut DbConn) -> diesel::QueryResult<()> {
        throttle::forgive(conn, &self.pair)?;
        throttle::forgive(conn, &self.addr)?;
        throttle::forgive(conn, &self.account)
    }

    /// The password was right: the pair starts afresh and the attempt is taken back from the others.
    pub fn forgive(&self, conn: &mut DbConn) -> diesel::QueryResult<()> {
        throttle::clear(conn, &self.pair)?;
        throttle::forgive(conn, &self.addr)?;
        throttle::forgive(conn, &self.account)
    }
}

/// Checks `password` against `hash` on the hashing pool; when the pool refuses, the attempt counted by
/// `guard` is taken back, so a busy server does not count against the owner.
pub async fn verify_counted(
    state: &AppState,
    guard: &Arc<PasswordGuard>,
    password: crate::config::Secret,
    hash: Option<String>,
) -> ApiResult<bool> {
    match state.hasher.verify(password.expose().to_owned(), hash).await {
        Ok(ok) => Ok(ok),
        Err(e) => {
            take_back(state.db.authentication(), guard.clone()).await;
            Err(e)
        }
    }
}

async fn take_back(db: &Db, guard: Arc<PasswordGuard>) {
    if let Err(e) = db.write(move |conn| Ok(guard.take_back(conn)?)).await {
        tracing::warn!(error = %e, "could not take back a login attempt");
    }
}

#[cfg(test)]
mod tests {
    use super::address_key;

    #[test]
    fn ipv6_callers_are_counted_per_64_and_ipv4_per_address() {
        assert_eq!(address_key("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
        assert_eq!(address_key("2001:db8:1:2:bbbb:cccc:dddd:eeee"), "2001:db8:1:2::/64");
        assert_ne!(address_key("2001:db8:1:3::1"), address_key("2001:db8:1:2::1"));
        assert_eq!(address_key("203.0.113.9"), "203.0.113.9");
        assert_eq!(address_key("::ffff:203.0.113.9"), "203.0.113.9");
        assert_eq!(address_key("unknown"), "unknown");
    }
}
