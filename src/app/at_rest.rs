//! The pass at start that leaves no secret in clear: webhook secrets and stored replies written before
//! sealing existed are sealed, and webhook secrets sealed under a previous data key are sealed again
//! under the current one, so that key can be retired. Stored replies under a previous key are left to
//! expire (they are kept 25 hours), so a previous key must stay configured that long after a rotation.

use crate::db::{DbConn, write_tx};
use crate::sealing::{DataKeys, SealError, replay_context, webhook_secret_context};
use crate::store::idempotency as replies;
use crate::store::webhooks as endpoints;

const BATCH: i64 = 200;

type StartError = Box<dyn std::error::Error + Send + Sync>;

/// Seals what is still in clear or under an older key. A secret under a key that is no longer
/// configured stops the start: the operator dropped a key too early and must hear it before
/// deliveries fail. A value that fails authentication is left as it is (reading it fails closed).
pub fn seal_stored(conn: &mut DbConn, keys: &DataKeys) -> Result<(), StartError> {
    let secrets = seal_webhook_secrets(conn, keys)?;
    let stored_replies = seal_replies(conn, keys)?;
    if secrets + stored_replies > 0 {
        tracing::info!(secrets, replies = stored_replies, key = keys.current_id(), "sealed stored secrets");
    }
    Ok(())
}

fn seal_webhook_secrets(conn: &mut DbConn, keys: &DataKeys) -> Result<usize, StartError> {
    let (mut after, mut sealed) = (String::new(), 0);
    loop {
        let batch = endpoints::secrets_to_seal(conn, keys.current_id(), &after, BATCH)?;
        let Some((last, _)) = batch.last() else { return Ok(sealed) };
        after = last.clone();
        for (id, old) in batch {
            let context = webhook_secret_context(&id);
            let opened = match &old.1 {
                None => Ok(old.0.clone().into_bytes()),
                Some(key_id) => keys.open(&old.0, key_id, &context),
            };
            let plain = match opened {
                Ok(plain) => plain,
                Err(e @ SealError::UnknownKey(_)) => {
                    return Err(format!(
                        "webhook endpoint {id}: {e}; add that key to QAT_DATA_KEYS_PREVIOUS"
                    )
                    .into());
                }
                Err(e) => {
                    tracing::error!(endpoint = %id, error = %e, "webhook secret left as it is");
                    continue;
                }
            };
            let new = keys.seal(&plain, &context);
            let new = (new.text, Some(new.key_id));
            if write_tx(conn, |c| endpoints::replace_secret(c, &id, &old, &new))? {
                sealed += 1;
            }
        }
    }
}

fn seal_replies(conn: &mut DbConn, keys: &DataKeys) -> Result<usize, StartError> {
    let mut sealed = 0;
    loop {
        let batch = replies::in_clear(conn, BATCH)?;
        if batch.is_empty() {
            return Ok(sealed);
        }
        for row in batch {
            let context = |part| replay_context(part, &row.owner, &row.operation, &row.key);
            let headers = keys.seal(row.headers.as_bytes(), &context("headers"));
            let body = keys.seal(row.body.as_bytes(), &context("body"));
            // Sealed by another instance meanwhile: it has left the clear set all the same.
            write_tx(conn, |c| replies::seal(c, &row, &headers.text, &body.text, &body.key_id))?;
            sealed += 1;
        }
    }
}
