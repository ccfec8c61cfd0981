//! Builds the server from a configuration: database, migrations, seed data, routes. Tests bind port 0.

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::passwords::Hasher;
use crate::auth::tokens::TokenService;
use crate::config::Config;
use crate::db::Db;
use crate::http::{self, RouteTable};
use crate::state::AppState;

pub type StartError = Box<dyn std::error::Error + Send + Sync>;

/// A built server, bound to its port but not yet running.
pub struct Application {
    port: u16,
    server: Server,
    state: web::Data<AppState>,
}

impl Application {
    pub async fn build(config: Config) -> Result<Self, StartError> {
        Self::build_with_workers(config, None).await
    }

    /// As [`Application::build`], with a fixed number of HTTP workers (tests use fewer than the core count).
    pub async fn build_with_workers(config: Config, workers: Option<usize>) -> Result<Self, StartError> {
        config.validate()?;
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| format!("cannot create data folder {}: {e}", config.data_dir.display()))?;
        // Before touching the database: a wrong key is an operator's mistake to hear about at once.
        let data_keys = std::sync::Arc::new(crate::sealing::DataKeys::load(&config)?);
        let db = Db::connect(
            config.database_url.expose(),
            config.db_pool_size,
            config.db_connect_timeout,
            config.db_queue_timeout,
        )
        .with_authentication_pool(
            config.database_url.expose(),
            config.db_auth_pool_size,
            config.db_connect_timeout,
        )
        .with_async_reads(config.database_url.expose(), config.db_read_pool_size)
        .await;
        let pool = db.pool.clone();
        let seed_config = config.clone();
        let keys = data_keys.clone();
        tokio::task::spawn_blocking(move || -> Result<(), StartError> {
            let mut conn = pool.get().map_err(|e| format!("cannot reach the database: {e}"))?;
            let applied = crate::db::migrate(&mut conn)?;
            if !applied.is_empty() {
                tracing::info!(count = applied.len(), "applied migrations");
            }
            crate::seed::run(&mut conn, &seed_config)?;
            crate::app::at_rest::seal_stored(&mut conn, &keys)?;
            Ok(())
        })
        .await??;

        let keys = crate::auth::keys::Keys::load(&config)?;
        let tokens = TokenService::new(
            keys,
            config.jwt_issuer.clone(),
            config.jwt_audience.clone(),
            config.access_token_ttl,
        );
        let hasher = Hasher::new(config.hash_threads, config.hash_queue)?;
        // Before anything is served: a provider that cannot be set up stops the start.
        let channels = crate::delivery::Channels::from_config(&config)?;
        let permit_keys = std::sync::Arc::new(crate::auth::permit_keys::PermitKeys::load(&config)?);
        crate::app::permit_issue::publish_signing_key(&db, permit_keys.clone())
            .await
            .map_err(|e| format!("permit signing key: {e:?}"))?;
        let doc = crate::openapi::document();
        let state = web::Data::new(AppState {
            tokens,
            data_keys,
            hasher,
            revocations: Default::default(),
            in_flight: Default::default(),
            deliveries: Default::default(),
            routes: RouteTable::from_openapi(&doc),
            openapi_json: crate::openapi::document_json(),
            metrics: Default::default(),
            rate_limiter: crate::http::rate_limit::RateLimiter::new(std::time::Duration::from_secs(60)),
            db,
            permit_keys,
            config: config.clone(),
        });
        actix_web::rt::spawn(refresh_revocations(state.clone()));
        actix_web::rt::spawn(maintenance(state.clone()));
        actix_web::rt::spawn(refresh_permits(state.clone()));
        actix_web::rt::spawn(crate::webhooks::run(state.clone()));
        actix_web::rt::spawn(crate::delivery::run(state.clone(), channels));
        let listener = TcpListener::bind(&config.bind)?;
        let port = listener.local_addr()?.port();
        let app_state = state.clone();
        let mut server = HttpServer::new(move || {
            let (app, _) = App::new()
                .into_utoipa_app()
                .app_data(app_state.clone())
                .app_data(http::json::JsonLimit(app_state.config.max_json_body))
                .app_data(web::QueryConfig::default().error_handler(http::query_error))
                .app_data(web::PathConfig::default().error_handler(http::path_error))
                .configure(crate::api::configure)
                .split_for_parts();
            app.route("/openapi.json", web::get().to(crate::api::ops::openapi_json))
                .route("/docs", web::get().to(crate::api::ops::docs_redirect))
                .service(
                    SwaggerUi::new("/docs/{_:.*}").config(utoipa_swagger_ui::Config::from("/openapi.json")),
                )
                .default_service(web::to(crate::api::middleware::fallback))
                .wrap(from_fn(crate::api::audit::record))
                .wrap(from_fn(crate::api::middleware::rate_limit))
                .wrap(Compress::default())
                .wrap(from_fn(crate::api::middleware::observe))
        })
        .listen(listener)?
        .shutdown_timeout(config.shutdown_timeout.as_secs());
        if let Some(n) = workers {
            server = server.workers(n);
        }
        tracing::info!(
            port,
            database = if state.db.is_postgres { "postgres" } else { "sqlite" },
            "listening"
        );
        Ok(Self { port, server: server.run(), state })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn state(&self) -> web::Data<AppState> {
        self.state.clone()
    }

    /// Serves until SIGINT/SIGTERM, then drains in-flight requests before returning.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }
}

/// Every two seconds, learns the sessions and API clients revoked on other instances, so their access
/// tokens stop working everywhere within seconds.
async fn refresh_revocations(state: web::Data<AppState>) {
    let keep = state.tokens.ttl + std::time::Duration::from_secs(60);
    let lookback = chrono::Duration::seconds(keep.as_secs() as i64);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
    loop {
        tick.tick().await;
        let since = crate::db::types::now() - lookback;
        let found = state
            .db
            .run(move |conn| {
                let mut ids = crate::store::sessions::revoked_since(conn, since)?;
                ids.extend(
                    crate::store::clients::revoked_since(conn, since)?
                        .into_iter()
                        .map(|c| format!("client:{c}")),
                );
                let rotated = crate::store::clients::changed_since(conn, since)?;
                Ok((ids, rotated))
            })
            .await;
        match found {
            Ok((ids, rotated)) => {
                state.revocations.add(ids, keep);
                let current = rotated.into_iter().map(|(c, hash)| (c, crate::auth::secret_generation(&hash)));
                state.revocations.set_generations(current, keep);
            }
            Err(e) => tracing::warn!(error = %e, "could not refresh revoked sessions"),
        }
    }
}

/// Every hour, re-signs permit credentials within a third of their lifetime of expiring whose permit
/// runs on, so long-lived permits never depend on one key or one credential.
async fn refresh_permits(state: web::Data<AppState>) {
    let lifetime = state.permit_keys.credential_lifetime;
    let within = chrono::Duration::seconds((lifetime.as_secs() / 3) as i64);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
    loop {
        tick.tick().await;
        let keys = state.permit_keys.clone();
        match crate::app::permit_renewal::refresh_due(&state.db, keys, within).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(credentials = n, "refreshed permit credentials"),
            Err(e) => tracing::warn!(error = ?e, "could not refresh permit credentials"),
        }
    }
}

/// Every ten minutes, forgets idempotency records older than 25 hours (they are promised for 24) and
/// login counters whose window has passed.
async fn maintenance(state: web::Data<AppState>) {
    let window = chrono::Duration::seconds(state.config.login_window.as_secs() as i64);
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
    loop {
        tick.tick().await;
        let result = state
            .db
            .write(move |conn| {
                let t = crate::db::types::now();
                let keys = crate::store::idempotency::purge(conn, t - chrono::Duration::hours(25))?;
                let counters = crate::store::throttle::purge(conn, t - window)?;
                Ok((keys, counters))
            })
            .await;
        match result {
            Ok((0, 0)) => {}
            Ok((keys, counters)) => {
                tracing::info!(keys, counters, "purged expired idempotency records and login counters")
            }
            Err(e) => tracing::warn!(error = %e, "maintenance failed"),
        }
    }
}
