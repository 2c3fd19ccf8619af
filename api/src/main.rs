//! The `rmdesk` binary: `serve`, `migrate`, `openapi`, `demo`, `import`, `backup`, `restore`,
//! `verify-export`.

use std::process::ExitCode;

use rmdesk::config::Config;
use rmdesk::startup::{self, Application};

const USAGE: &str = "usage: rmdesk <command>
  serve [--demo]                 run the server (RMDESK_BIND); --demo fills an empty database first
  migrate                        apply database migrations and exit
  openapi [FILE]                 write the OpenAPI document (stdout when no FILE)
  demo [--customers N] [--rms N] [--audit]
                                 fill an empty database with a demo bank (default 20000 customers);
                                 --audit also records a chained audit event per customer
  import --kind KIND FILE [--dry-run] [--mapping FILE] [--as USER]
                                 load a file of the bank's book (CSV UTF-8/GBK, XLSX, NDJSON)
  backup FILE                    write the database and the data directory's secrets to FILE, while
                                 the server serves (SQLite: VACUUM INTO; PostgreSQL: pg_dump)
  restore FILE                   restore a backup into an empty database and data directory
  verify-export FILE [--public-key KEYFILE]
                                 check an audit_events export offline (digest, hashes, links,
                                 snapshots; with the key from GET /audit/public-key, its signature)";

fn main() -> ExitCode {
    init_logging();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("rmdesk: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let command = args.first().map(String::as_str).unwrap_or("serve");
    let rest = &args[args.len().min(1)..];
    match command {
        "serve" => {
            let config = Config::from_env()?;
            if rest.iter().any(|a| a == "--demo") {
                rmdesk::demo::run_if_empty(&config, &rmdesk::demo::Size::default())?;
            }
            serve(config)
        }
        "migrate" => {
            let config = Config::from_env()?;
            startup::bootstrap(&rmdesk::db::Db::connect(&config.database, 1)?, &config)
                .map_err(|e| e.to_string())?;
            println!("migrations applied");
            Ok(())
        }
        "openapi" => {
            let doc = startup::openapi()
                .to_pretty_json()
                .map_err(|e| e.to_string())?;
            match rest.first() {
                Some(path) => std::fs::write(path, doc + "\n")
                    .map_err(|e| format!("cannot write {path}: {e}")),
                None => {
                    println!("{doc}");
                    Ok(())
                }
            }
        }
        "demo" => {
            let config = Config::from_env()?;
            let size = rmdesk::demo::Size::from_args(rest)?;
            rmdesk::demo::run(&config, &size)
        }
        "import" => {
            let config = Config::from_env()?;
            rmdesk::imports::cli::run(&config, rest)
        }
        "backup" => {
            let config = Config::from_env()?;
            let file = rest.first().ok_or("backup needs a FILE")?;
            let manifest = rmdesk::backup::backup(&config, std::path::Path::new(file))?;
            println!(
                "{}",
                serde_json::to_string_pretty(&manifest).map_err(|e| e.to_string())?
            );
            Ok(())
        }
        "restore" => {
            let config = Config::from_env()?;
            let file = rest.first().ok_or("restore needs a FILE")?;
            let manifest = rmdesk::backup::restore(&config, std::path::Path::new(file))?;
            // A backup of an earlier version comes up to this one's schema at once.
            startup::bootstrap(&rmdesk::db::Db::connect(&config.database, 1)?, &config)
                .map_err(|e| e.to_string())?;
            println!(
                "restored the {} backup taken at {}",
                manifest.database, manifest.taken_at
            );
            Ok(())
        }
        "verify-export" => {
            let path = rest.first().ok_or("verify-export needs a FILE")?;
            let key = match rest.iter().position(|a| a == "--public-key") {
                Some(i) => Some(rmdesk::verify::read_public_key(std::path::Path::new(
                    rest.get(i + 1).ok_or("--public-key needs a FILE")?,
                ))?),
                None => None,
            };
            let report = rmdesk::verify::verify_export(std::path::Path::new(path), key.as_deref())?;
            println!(
                "{}",
                serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?
            );
            if report.ok {
                Ok(())
            } else {
                Err(match &report.first_break {
                    Some(b) => format!("the chain breaks at event {} ({})", b.seq, b.reason),
                    None if report.signature_ok == Some(false) => {
                        "the manifest's signature does not verify with this key".into()
                    }
                    None => "the items do not match the manifest".into(),
                })
            }
        }
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n{USAGE}")),
    }
}

fn serve(config: Config) -> Result<(), String> {
    let system = actix_web::rt::System::new();
    system.block_on(async move {
        let app = Application::build(&config)?;
        tracing::info!(bind = %config.bind, port = app.port, "rmdesk listening");
        app.run().await.map_err(|e| e.to_string())
    })
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("RUST_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(false)
        .init();
}
