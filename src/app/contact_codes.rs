//! Codes that prove a contact, and the messages about contacts: made inside a transaction and queued
//! in the message outbox by that same transaction, all through [`queue`], so a stored code always has its
//! message on the way and a rolled-back one never leaves.

use chrono::{Duration, NaiveDateTime};
use diesel::QueryResult;
use rand::Rng;

use crate::auth::sha256_hex;
use crate::db::DbConn;
use crate::db::types::new_id;
use crate::domain::channel::{Channel, Contact};
use crate::error::ApiResult;
use crate::store::accounts::Account;
use crate::store::contact_verifications::{self as verifications, Verification};

/// How long a code works, and how many wrong tries kill it.
pub const CODE_TTL_MINUTES: i64 = 15;
pub const MAX_ATTEMPTS: i32 = 5;

/// A text for one contact.
#[derive(Debug)]
pub struct Outgoing {
    pub recipient: String,
    pub text: String,
}

/// The one place contact messages leave: the outbox, inside the caller's transaction.
pub fn queue(conn: &mut DbConn, account: &Account, messages: &[Outgoing]) -> ApiResult<()> {
    for m in messages {
        crate::app::messages::queue_text(conn, account, &m.recipient, &m.text)?;
    }
    Ok(())
}

/// The stored form of a code: keyed by its verification, so equal codes never share a hash.
pub fn code_hash(verification_id: &str, code: &str) -> String {
    sha256_hex(&format!("{verification_id}:{code}"))
}

/// A new code for `contact` of `account`. Earlier open codes for that channel stop working, so only the
/// newest one can switch the contact.
pub fn issue(
    conn: &mut DbConn,
    account: &Account,
    contact: &Contact,
    now: NaiveDateTime,
) -> QueryResult<(Verification, Outgoing)> {
    verifications::retire_open(conn, &account.id, contact.channel, now)?;
    let code = format!("{:08}", rand::rngs::OsRng.gen_range(0..100_000_000u32));
    let id = new_id();
    let verification = Verification {
        code_hash: code_hash(&id, &code),
        id,
        account_id: account.id.clone(),
        channel: contact.channel,
        value: contact.value.clone(),
        attempts: 0,
        expires_at: now + Duration::minutes(CODE_TTL_MINUTES),
        used_at: None,
        created_at: now,
    };
    verifications::insert(conn, &verification)?;
    let text = code_text(&account.preferred_language, &code);
    Ok((verification, Outgoing { recipient: contact.value.clone(), text }))
}

fn code_text(language: &str, code: &str) -> String {
    let ttl = CODE_TTL_MINUTES;
    match language {
        "zh-Hant" => format!("琴澳通聯絡方式驗證碼：{code}，{ttl} 分鐘內有效。如非本人操作，請忽略。"),
        "zh-Hans" => format!("琴澳通联络方式验证码：{code}，{ttl} 分钟内有效。如非本人操作，请忽略。"),
        "pt" => format!("Código de verificação do contacto no Qin Ao Tong: {code} (válido {ttl} minutos)."),
        _ => format!("Qin Ao Tong contact verification code: {code} (valid for {ttl} minutes)."),
    }
}

/// The notice to the contact that was replaced: it names no new contact, so a stranger holding the
/// old one learns nothing about the owner.
pub fn replaced_notice(language: &str, channel: Channel, old: &str) -> Outgoing {
    let text = match (language, channel) {
        ("zh-Hant", Channel::Email) => {
            "您的琴澳通帳戶已改用另一個電郵地址登入。如非本人操作，請立即聯絡我們。"
        }
        ("zh-Hant", Channel::Phone) => {
            "您的琴澳通帳戶已改用另一個電話號碼登入。如非本人操作，請立即聯絡我們。"
        }
        ("zh-Hans", Channel::Email) => {
            "您的琴澳通账户已改用另一个电邮地址登录。如非本人操作，请立即联系我们。"
        }
        ("zh-Hans", Channel::Phone) => {
            "您的琴澳通账户已改用另一个电话号码登录。如非本人操作，请立即联系我们。"
        }
        ("pt", Channel::Email) => {
            "A conta Qin Ao Tong passou a usar outro endereço de email. Se não foi você, contacte-nos já."
        }
        ("pt", Channel::Phone) => {
            "A conta Qin Ao Tong passou a usar outro número de telefone. Se não foi você, contacte-nos já."
        }
        (_, Channel::Email) => {
            "Your Qin Ao Tong account now uses another email address. If this was not you, contact us at once."
        }
        (_, Channel::Phone) => {
            "Your Qin Ao Tong account now uses another phone number. If this was not you, contact us at once."
        }
    };
    Outgoing { recipient: old.to_owned(), text: text.to_owned() }
}
