//! The `provisiond` command: `serve` (the default), `migrate`, `admin-key create`,
//! `secrets generate-key`, `secrets rotate`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use provisiond::config::{Config, ConfigLayer};
use provisiond::tenancy::api_keys::{create_api_key_blocking, KeyKind};
use provisiond::{db, logging, secrets, server};

#[derive(Debug, Parser)]
#[command(
    name = "provisiond",
    version,
    about = "SAML JIT and SCIM 2.0 identity provisioning server"
)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "PROVISIOND_CONFIG")]
    config: Option<PathBuf>,
    /// Address to listen on, e.g. 0.0.0.0:8080.
    #[arg(long, global = true, env = "PROVISIOND_LISTEN", default_value_t = Config::default().listen)]
    listen: String,
    /// SQLite file path or postgres:// URL (DATABASE_URL is read too).
    // The value may carry a password: `--help` names the variable, never shows its value.
    #[arg(long, global = true, env = "PROVISIOND_DATABASE_URL", hide_env_values = true, default_value_t = Config::default().database_url)]
    database_url: String,
    /// Public base URL (https://… in production) of every absolute URL the server emits.
    #[arg(long, global = true, env = "PROVISIOND_PUBLIC_URL", default_value_t = Config::default().public_url)]
    public_url: String,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP server (default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage admin API keys.
    AdminKey {
        #[command(subcommand)]
        action: AdminKeyAction,
    },
    /// Manage the key that encrypts stored secrets.
    Secrets {
        #[command(subcommand)]
        action: SecretsAction,
    },
}

#[derive(Debug, Subcommand)]
enum SecretsAction {
    /// Print a new random key for PROVISIOND_SECRET_KEY (or a secret_key_file).
    GenerateKey,
    /// Re-encrypt every stored secret under the current key (PROVISIOND_SECRET_KEY),
    /// opening values sealed with PROVISIOND_SECRET_KEY_PREVIOUS.
    Rotate,
}

#[derive(Debug, Subcommand)]
enum AdminKeyAction {
    /// Create an admin key and print it (shown only this once).
    Create {
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let env: HashMap<String, String> = std::env::vars().collect();
    // Only values typed on the command line form the flags layer: defaults and
    // environment values shown by `--help` are applied by `Config::load` in their own
    // layers, so a config file still overrides the defaults.
    let flag = |id: &str, value: &String| {
        (matches.value_source(id) == Some(ValueSource::CommandLine)).then(|| value.clone())
    };
    let flags = ConfigLayer {
        listen: flag("listen", &cli.listen),
        database_url: flag("database_url", &cli.database_url),
        public_url: flag("public_url", &cli.public_url),
        ..ConfigLayer::default()
    };
    let config = match Config::load(cli.config.as_deref(), &env, flags) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("provisiond: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    logging::init(&config);
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(config),
        Command::Migrate => migrate(&config),
        Command::AdminKey {
            action: AdminKeyAction::Create { name },
        } => admin_key_create(config, &name),
        Command::Secrets {
            action: SecretsAction::GenerateKey,
        } => secrets_generate_key(),
        Command::Secrets {
            action: SecretsAction::Rotate,
        } => secrets_rotate(&config),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("provisiond: {message}");
            ExitCode::FAILURE
        }
    }
}

fn serve(config: Config) -> Result<(), String> {
    actix_web::rt::System::new().block_on(async move {
        let state = server::build_state(config, None, None, None).map_err(|e| e.to_string())?;
        if let Some(key) = server::bootstrap(&state).map_err(|e| e.to_string())? {
            println!(
                "provisiond: created the first admin API key (shown only once, store it now):"
            );
            println!("{key}");
        }
        let (running, addr) = server::start(state).map_err(|e| e.to_string())?;
        tracing::info!(%addr, "provisiond listening");
        running.await.map_err(|e| e.to_string())?;
        tracing::info!("provisiond stopped");
        Ok(())
    })
}

fn migrate(config: &Config) -> Result<(), String> {
    let database = db::Database::connect(&config.database_url, 1).map_err(|e| e.to_string())?;
    let applied = db::migrations::run_pending(&database).map_err(|e| e.to_string())?;
    println!("applied {} migration(s)", applied.len());
    for version in applied {
        println!("  {version}");
    }
    Ok(())
}

fn admin_key_create(config: Config, name: &str) -> Result<(), String> {
    let rt = actix_web::rt::System::new();
    rt.block_on(async move {
        let state = server::build_state(config, None, None, None).map_err(|e| e.to_string())?;
        let created =
            create_api_key_blocking(&state, name, KeyKind::Admin).map_err(|e| e.to_string())?;
        println!("{}", created.key);
        Ok(())
    })
}

fn secrets_generate_key() -> Result<(), String> {
    let key = secrets::DataKey::generate().map_err(|e| e.to_string())?;
    println!("{}", key.to_text());
    Ok(())
}

fn secrets_rotate(config: &Config) -> Result<(), String> {
    let database = db::Database::connect(&config.database_url, 1).map_err(|e| e.to_string())?;
    db::migrations::run_pending(&database).map_err(|e| e.to_string())?;
    let keys = secrets::key_source::load(config).map_err(|e| e.to_string())?;
    let report = secrets::reseal::rotate(&database, &keys).map_err(|e| e.to_string())?;
    println!(
        "secrets under key {}: {} re-encrypted, {} encrypted from plaintext, {} already current",
        keys.current_id(),
        report.rotated,
        report.sealed,
        report.unchanged
    );
    Ok(())
}
