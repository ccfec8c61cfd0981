use std::process::ExitCode;

use qinaotong::config::Config;
use qinaotong::startup::Application;

fn main() -> ExitCode {
    qinaotong::allocator::tune();
    actix_web::rt::System::new().block_on(run())
}

async fn run() -> ExitCode {
    let config = match Config::from_env() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("qinaotong: {e}");
            return ExitCode::from(2);
        }
    };
    qinaotong::telemetry::init(config.log_format);
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None | Some("serve") => serve(config).await,
        Some("migrate") => migrate(&config),
        Some("openapi") => {
            print!("{}", qinaotong::openapi::document_json());
            Ok(())
        }
        Some("permit-root-key") => permit_root_key(&config),
        Some(other) => {
            eprintln!(
                "qinaotong: unknown command {other:?}; use no argument to serve, or `migrate`, `openapi`, `permit-root-key`"
            );
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "stopped with an error");
            eprintln!("qinaotong: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), qinaotong::startup::StartError> {
    let app = Application::build(config).await?;
    app.run_until_stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

fn migrate(config: &Config) -> Result<(), qinaotong::startup::StartError> {
    let db = qinaotong::db::Db::connect(
        config.database_url.expose(),
        1,
        config.db_connect_timeout,
        config.db_queue_timeout,
    );
    let mut conn = db.pool.get()?;
    let applied = qinaotong::db::migrate(&mut conn)?;
    println!("applied {} migration(s)", applied.len());
    for m in applied {
        println!("  {m}");
    }
    Ok(())
}

/// Prints the permit root public key (base64url) that checkpoints pin with `qat-verify sync --root`.
fn permit_root_key(config: &Config) -> Result<(), qinaotong::startup::StartError> {
    use base64::Engine;
    let keys = qinaotong::auth::permit_keys::PermitKeys::load(config)?;
    println!("{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(keys.root.public().as_bytes()));
    Ok(())
}
