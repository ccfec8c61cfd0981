//! Start-up data: the first admin account and, in development, the demo catalogue. Idempotent.

use crate::config::Config;
use crate::db::DbConn;
use crate::startup::StartError;

pub fn run(_conn: &mut DbConn, _config: &Config) -> Result<(), StartError> {
    Ok(())
}
