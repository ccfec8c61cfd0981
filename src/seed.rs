//! Start-up data: the first admin account and, in development, the demo catalogue and accounts.
//! Running it again changes nothing that is already there (the admin's password is reset on purpose).

use diesel::prelude::*;
use serde::Deserialize;
use serde_json::Value;

use crate::auth::passwords::hash_blocking;
use crate::auth::sha256_hex;
use crate::config::Config;
use crate::db::schema::{organisations, service_versions, services};
use crate::db::types::{new_id, now};
use crate::db::{DbConn, write_tx};
use crate::startup::StartError;
use crate::store::accounts::{self, Account};
use crate::store::clients::{self, ApiClient};

const CATALOGUE: &str = include_str!("demo/catalogue.json");

/// Demo credentials, also listed in the README. Development only: production refuses demo data.
pub const DEMO_PASSWORD: &str = "Harbour-Lantern-77";
pub const DEMO_RESIDENT: (&str, &str, &str) = ("chan.taiman@example.mo", "+85362345678", "Lotus-Bridge-2026");
pub const DEMO_CLIENT_ID: &str = "qac_demo_bayview";
pub const DEMO_CLIENT_SECRET: &str = "qcs_demo_only_never_in_production";

#[derive(Deserialize)]
struct Catalogue {
    organisations: Vec<DemoOrganisation>,
    services: Vec<DemoService>,
}

#[derive(Deserialize)]
struct DemoOrganisation {
    code: String,
    kind: String,
    jurisdiction: String,
    name: Value,
    description: Value,
    holidays: Vec<String>,
}

#[derive(Deserialize)]
struct DemoService {
    code: String,
    organisation: String,
    category: String,
    name: Value,
    description: Value,
    instructions: Value,
    eligibility: Value,
    fee_amount: i64,
    fee_currency: String,
    sla_days: i32,
    form: Value,
}

/// Lowercased names and codes in every language, for the catalogue's text search.
pub fn search_text(code: &str, names: &Value) -> String {
    let mut s = code.to_lowercase();
    if let Some(map) = names.as_object() {
        for v in map.values().filter_map(Value::as_str) {
            s.push('\n');
            s.push_str(&v.to_lowercase());
        }
    }
    s
}

pub fn run(conn: &mut DbConn, config: &Config) -> Result<(), StartError> {
    if let (Some(email), Some(password)) = (&config.admin_email, &config.admin_password) {
        upsert_admin(conn, email, password.expose())?;
    }
    if config.demo_data {
        load_demo(conn)?;
    }
    Ok(())
}

fn upsert_admin(conn: &mut DbConn, email: &str, password: &str) -> Result<(), StartError> {
    let email = crate::domain::contact::Email::parse(email)
        .map_err(|e| format!("QAT_ADMIN_EMAIL: {}", e.message()))?;
    let hash = hash_blocking(password).map_err(|e| format!("hashing the admin password: {e}"))?;
    write_tx(conn, |conn| {
        use crate::db::schema::accounts::dsl as a;
        let t = now();
        let existing = accounts::find_by_login(conn, email.as_str())?;
        match existing {
            Some(acc) if acc.role == "admin" => {
                accounts::set_password(conn, &acc.id, &hash, t)?;
            }
            Some(_) => return Err(diesel::result::Error::RollbackTransaction),
            None => {
                diesel::delete(
                    a::accounts.filter(a::email.eq(email.as_str())).filter(a::status.ne(accounts::ACTIVE)),
                )
                .execute(conn)?;
                accounts::insert(
                    conn,
                    &account("admin", None, email.as_str(), None, "Platform Administrator", &hash),
                )?;
            }
        }
        Ok(())
    })
    .map_err(|e| format!("QAT_ADMIN_EMAIL belongs to an account that is not an admin ({e})").into())
}

fn account(
    role: &str,
    org: Option<&str>,
    email: &str,
    phone: Option<&str>,
    name: &str,
    hash: &str,
) -> Account {
    let t = now();
    Account {
        id: new_id(),
        role: role.into(),
        organisation_id: org.map(str::to_owned),
        email: Some(email.into()),
        phone: phone.map(str::to_owned),
        password_hash: hash.into(),
        full_name: name.into(),
        preferred_language: if role == "resident" { "zh-Hant".into() } else { "en".into() },
        status: accounts::ACTIVE,
        created_at: t,
        updated_at: t,
    }
}

fn org_id(conn: &mut DbConn, code: &str) -> QueryResult<Option<String>> {
    organisations::table.filter(organisations::code.eq(code)).select(organisations::id).first(conn).optional()
}

fn load_demo(conn: &mut DbConn) -> Result<(), StartError> {
    let catalogue: Catalogue = serde_json::from_str(CATALOGUE)?;
    let staff_hash = hash_blocking(DEMO_PASSWORD).map_err(|e| e.to_string())?;
    let resident_hash = hash_blocking(DEMO_RESIDENT.2).map_err(|e| e.to_string())?;
    write_tx(conn, |conn| -> Result<(), StartError> {
        let t = now();
        for o in &catalogue.organisations {
            if org_id(conn, &o.code)?.is_some() {
                continue;
            }
            diesel::insert_into(organisations::table)
                .values((
                    organisations::id.eq(new_id()),
                    organisations::code.eq(&o.code),
                    organisations::kind.eq(&o.kind),
                    organisations::jurisdiction.eq(&o.jurisdiction),
                    organisations::name.eq(o.name.to_string()),
                    organisations::description.eq(o.description.to_string()),
                    organisations::holidays.eq(serde_json::to_string(&o.holidays)?),
                    organisations::search_text.eq(search_text(&o.code, &o.name)),
                    organisations::created_at.eq(t),
                    organisations::updated_at.eq(t),
                ))
                .execute(conn)?;
        }
        for s in &catalogue.services {
            let exists: Option<String> = services::table
                .filter(services::code.eq(&s.code))
                .select(services::id)
                .first(conn)
                .optional()?;
            if exists.is_some() {
                continue;
            }
            let org = org_id(conn, &s.organisation)?
                .ok_or_else(|| format!("service {}: no organisation", s.code))?;
            let id = new_id();
            let texts = serde_json::json!({"name": s.name, "description": s.description,
                "instructions": s.instructions, "eligibility": s.eligibility});
            diesel::insert_into(services::table)
                .values((
                    services::id.eq(&id),
                    services::organisation_id.eq(&org),
                    services::code.eq(&s.code),
                    services::category.eq(&s.category),
                    services::texts.eq(texts.to_string()),
                    services::fee_amount.eq(s.fee_amount),
                    services::fee_currency.eq(&s.fee_currency),
                    services::sla_days.eq(s.sla_days),
                    services::live_version.eq(Some(1)),
                    services::search_text.eq(search_text(&s.code, &s.name)),
                    services::created_at.eq(t),
                    services::updated_at.eq(t),
                ))
                .execute(conn)?;
            diesel::insert_into(service_versions::table)
                .values((
                    service_versions::service_id.eq(&id),
                    service_versions::version.eq(1),
                    service_versions::form.eq(s.form.to_string()),
                    service_versions::state.eq("published"),
                    service_versions::created_at.eq(t),
                    service_versions::published_at.eq(Some(t)),
                ))
                .execute(conn)?;
        }
        let entry_exit = org_id(conn, "hq-entry-exit")?;
        let dsi = org_id(conn, "mo-dsi")?;
        let property = org_id(conn, "hq-bayview-property")?;
        let people = [
            ("resident", None, DEMO_RESIDENT.0, Some(DEMO_RESIDENT.1), "陳大文", &resident_hash),
            (
                "officer",
                entry_exit.as_deref(),
                "officer.lei@hq-entry-exit.example",
                None,
                "Lei Ka Man",
                &staff_hash,
            ),
            ("officer", dsi.as_deref(), "officer.sousa@dsi.example", None, "Ana Sousa", &staff_hash),
            (
                "supervisor",
                entry_exit.as_deref(),
                "supervisor.wong@hq-entry-exit.example",
                None,
                "Wong Mei Ling",
                &staff_hash,
            ),
        ];
        for (role, org, email, phone, name, hash) in people {
            if !accounts::login_taken(conn, email, None)? {
                accounts::insert(conn, &account(role, org, email, phone, name, hash))?;
            }
        }
        if let Some(org) = property
            && clients::find_active(conn, DEMO_CLIENT_ID)?.is_none()
        {
            clients::insert(
                conn,
                &ApiClient {
                    id: new_id(),
                    client_id: DEMO_CLIENT_ID.into(),
                    organisation_id: org,
                    name: "Bayview tenancy system (demo)".into(),
                    secret_hash: sha256_hex(DEMO_CLIENT_SECRET),
                    scopes: "applications:read applications:write webhooks:manage".into(),
                    created_at: t,
                    updated_at: t,
                    revoked_at: None,
                },
            )?;
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::form::FormDefinition;
    use crate::domain::locale::LocalizedText;

    #[test]
    fn the_demo_catalogue_is_complete_in_four_languages_and_every_form_is_valid() {
        let c: Catalogue = serde_json::from_str(CATALOGUE).unwrap();
        assert!(c.services.len() >= 8);
        let texts = |v: &Value| serde_json::from_value::<LocalizedText>(v.clone()).unwrap();
        for o in &c.organisations {
            assert!(texts(&o.name).is_complete() && texts(&o.description).is_complete(), "{}", o.code);
        }
        for s in &c.services {
            for t in [&s.name, &s.description, &s.instructions, &s.eligibility] {
                assert!(texts(t).is_complete(), "{}", s.code);
            }
            let form: FormDefinition = serde_json::from_value(s.form.clone()).unwrap();
            assert_eq!(form.check(""), Ok(()), "{}", s.code);
            assert!(c.organisations.iter().any(|o| o.code == s.organisation), "{}", s.code);
        }
    }
}
