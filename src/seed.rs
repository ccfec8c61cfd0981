//! Start-up data: the first admin account and, in development, the demo catalogue and accounts.
//! Running it again changes nothing that is already there (the admin's password is reset on purpose,
//! unless an administrator disabled that admin: then it stays disabled).

use crate::domain::role::Role;
use diesel::QueryResult;
use serde::Deserialize;

use crate::auth::passwords::hash_blocking;
use crate::auth::sha256_hex;
use crate::config::Config;
use crate::db::types::{new_id, now};
use crate::db::{DbConn, write_tx};
use crate::domain::catalogue::{ServiceTexts, VersionState, search_text};
use crate::domain::form::FormDefinition;
use crate::domain::locale::LocalizedText;
use crate::domain::permit::spec::PermitSpec;
/// Why seeding failed; start-up reports it and stops.
pub type StartError = Box<dyn std::error::Error + Send + Sync>;
use crate::store::accounts::{self, Account};
use crate::store::catalogue::{self as catalogue, Organisation, Service, ServiceVersion};
use crate::store::clients::{self, ApiClient};
use crate::store::staff;

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
    name: LocalizedText,
    description: LocalizedText,
    holidays: Vec<String>,
}

#[derive(Deserialize)]
struct DemoService {
    code: String,
    organisation: String,
    category: String,
    #[serde(flatten)]
    texts: ServiceTexts,
    fee_amount: i64,
    fee_currency: String,
    sla_days: i32,
    form: FormDefinition,
    #[serde(default)]
    permit: Option<PermitSpec>,
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
        let t = now();
        let existing = accounts::find_by_login(conn, email.as_str())?;
        match existing {
            Some(acc) if acc.role == Role::Admin => {
                accounts::set_password(conn, &acc.id, &hash, t)?;
            }
            Some(_) => return Err(diesel::result::Error::RollbackTransaction),
            // An administrator disabled it: a restart neither brings it back nor makes a new one, or
            // anyone holding the start-up password would outlive being disabled.
            None if accounts::disabled_admin_with_email(conn, email.as_str())? => {
                tracing::warn!("QAT_ADMIN_EMAIL names a disabled admin; it stays disabled");
            }
            None => {
                staff::remove_inactive_with_email(conn, email.as_str())?;
                accounts::insert(
                    conn,
                    &account(Role::Admin, None, email.as_str(), None, "Platform Administrator", &hash),
                )?;
            }
        }
        Ok(())
    })
    .map_err(|e| format!("QAT_ADMIN_EMAIL belongs to an account that is not an admin ({e})").into())
}

fn account(
    role: Role,
    org: Option<&str>,
    email: &str,
    phone: Option<&str>,
    name: &str,
    hash: &str,
) -> Account {
    let t = now();
    Account {
        id: new_id(),
        role,
        organisation_id: org.map(str::to_owned),
        email: Some(email.into()),
        phone: phone.map(str::to_owned),
        password_hash: hash.into(),
        full_name: name.into(),
        preferred_language: if role == Role::Resident { "zh-Hant".into() } else { "en".into() },
        status: accounts::ACTIVE,
        created_at: t,
        updated_at: t,
        // Configured by the operator or demo accounts: proven by definition, so resets reach them.
        email_verified: true,
        phone_verified: phone.is_some(),
    }
}

fn org_id(conn: &mut DbConn, code: &str) -> QueryResult<Option<String>> {
    Ok(catalogue::find_organisation_by_code(conn, code)?.map(|o| o.id))
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
            let row = Organisation {
                id: new_id(),
                code: o.code.clone(),
                kind: o.kind.clone(),
                jurisdiction: o.jurisdiction.clone(),
                name: serde_json::to_string(&o.name)?,
                description: serde_json::to_string(&o.description)?,
                holidays: serde_json::to_string(&o.holidays)?,
                search_text: search_text(&o.code, &o.name),
                created_at: t,
                updated_at: t,
            };
            catalogue::insert_organisation(conn, &row)?;
        }
        for s in &catalogue.services {
            if catalogue::find_service_by_code(conn, &s.code)?.is_some() {
                continue;
            }
            let org = org_id(conn, &s.organisation)?
                .ok_or_else(|| format!("service {}: no organisation", s.code))?;
            let service = Service {
                id: new_id(),
                organisation_id: org,
                code: s.code.clone(),
                category: s.category.clone(),
                texts: serde_json::to_string(&s.texts)?,
                fee_amount: s.fee_amount,
                fee_currency: s.fee_currency.clone(),
                sla_days: s.sla_days,
                live_version: Some(1),
                search_text: search_text(&s.code, &s.texts.name),
                created_at: t,
                updated_at: t,
            };
            catalogue::insert_service(conn, &service)?;
            let version = ServiceVersion {
                service_id: service.id,
                version: 1,
                form: serde_json::to_string(&s.form)?,
                state: VersionState::Published.as_str().to_owned(),
                created_at: t,
                published_at: Some(t),
                permit: s.permit.as_ref().map(serde_json::to_string).transpose()?,
            };
            catalogue::insert_version(conn, &version)?;
        }
        let entry_exit = org_id(conn, "hq-entry-exit")?;
        let dsi = org_id(conn, "mo-dsi")?;
        let property = org_id(conn, "hq-bayview-property")?;
        let people = [
            (Role::Resident, None, DEMO_RESIDENT.0, Some(DEMO_RESIDENT.1), "陳大文", &resident_hash),
            (
                Role::Officer,
                entry_exit.as_deref(),
                "officer.lei@hq-entry-exit.example",
                None,
                "Lei Ka Man",
                &staff_hash,
            ),
            (Role::Officer, dsi.as_deref(), "officer.sousa@dsi.example", None, "Ana Sousa", &staff_hash),
            (
                Role::Supervisor,
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

    #[test]
    fn the_demo_catalogue_is_complete_in_four_languages_and_every_form_is_valid() {
        let c: Catalogue = serde_json::from_str(CATALOGUE).unwrap();
        assert!(c.services.len() >= 8);
        let permits: Vec<&str> =
            c.services.iter().filter_map(|s| s.permit.as_ref()).map(|p| p.kind.as_str()).collect();
        assert!(permits.len() >= 2 && permits.contains(&"vehicle"), "{permits:?}");
        for o in &c.organisations {
            assert!(o.name.is_complete() && o.description.is_complete(), "{}", o.code);
            for d in &o.holidays {
                assert!(chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").is_ok(), "{}: {d}", o.code);
            }
        }
        for s in &c.services {
            let t = &s.texts;
            for text in [&t.name, &t.description, &t.instructions, &t.eligibility] {
                assert!(text.is_complete(), "{}", s.code);
            }
            assert_eq!(s.form.check(""), Ok(()), "{}", s.code);
            if let Some(p) = &s.permit {
                assert_eq!(p.check("permit", &s.form, &s.organisation), vec![], "{}", s.code);
            }
            assert!(c.organisations.iter().any(|o| o.code == s.organisation), "{}", s.code);
        }
    }
}
