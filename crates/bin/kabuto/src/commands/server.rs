//! `kabuto server` and `kabuto server init`: flags -> config -> the server crate.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use kabuto_server::ServerConfig;
use kabuto_store::{Store, StoreUrl};

use crate::cli::{ServerArgs, ServerCommand, ServerRunArgs, ServerStoreArgs};
use crate::paths;

/// How long in-flight requests get to finish on SIGTERM or Ctrl-C.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

pub fn run(args: &ServerArgs, quiet: bool) -> Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    match &args.command {
        Some(ServerCommand::Init(store)) => runtime.block_on(init(store, quiet)),
        None => runtime.block_on(serve(&args.run, quiet)),
    }
}

/// The data directory (created, private to the user) and the store URL.
fn locations(args: &ServerStoreArgs) -> Result<(PathBuf, StoreUrl)> {
    let data_dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => paths::default_data_dir()?,
    };
    create_private_dir(&data_dir)?;
    let store = match &args.store {
        Some(text) => text.parse()?,
        None => StoreUrl::in_data_dir(&data_dir),
    };
    Ok((data_dir, store))
}

fn create_private_dir(dir: &std::path::Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("cannot create the data directory {}", dir.display()))
}

async fn serve(args: &ServerRunArgs, quiet: bool) -> Result<ExitCode> {
    let (data_dir, store) = locations(&args.store)?;
    let config = ServerConfig {
        listen: args.listen,
        store,
        db: args
            .db
            .clone()
            .unwrap_or_else(|| data_dir.join("kabuto.db")),
        tls: args.tls_cert.clone().zip(args.tls_key.clone()),
        insecure_listen: args.insecure_listen,
        admin_password: std::env::var("KABUTO_ADMIN_PASSWORD").ok(),
        data_dir: data_dir.clone(),
        sealing_key: kabuto_server::load_sealing_key(
            &data_dir.join("secret.key"),
            std::env::var("KABUTO_SECRET_KEY").ok().as_deref(),
        )?,
        scan_workers: usize::from(args.scan_workers),
    };
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let db_path = config.db.clone();
    let running = kabuto_server::start(config).await?;
    if let Some(every) = args.db_update_every {
        tokio::spawn(update_database(every, db_path, args.db_update_from.clone()));
    }
    if !quiet {
        eprintln!("kabuto server listening on {scheme}://{}", running.addr);
    }
    let handle = running.handle();
    tokio::spawn(async move {
        stop_signal().await;
        tracing::info!("stopping: finishing requests in flight");
        handle.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    running.wait().await?;
    Ok(ExitCode::SUCCESS)
}

/// The scheduled database update: `kabuto db update` (or `db build --fetch`) run as a child
/// of this same binary against the server's `--db`, so it behaves exactly as on the command
/// line (verification, atomic replacement). The server notices the new file within 30 s,
/// loads it and judges every stored image again; a failure keeps the old database.
async fn update_database(every: Duration, db: PathBuf, from: Option<String>) {
    if db.exists() {
        tokio::time::sleep(every).await;
    }
    loop {
        let exe = match std::env::current_exe() {
            Ok(exe) => exe,
            Err(e) => {
                tracing::error!(error = %e, "cannot find the kabuto binary for the database update");
                return;
            }
        };
        let mut command = tokio::process::Command::new(exe);
        command.arg("--quiet").arg("db");
        match from.as_deref() {
            Some("fetch") => command.args(["build", "--fetch", "--db"]).arg(&db),
            Some(source) => command.args(["update", "--from", source, "--db"]).arg(&db),
            None => command.args(["update", "--db"]).arg(&db),
        };
        match command.output().await {
            Ok(output) if output.status.success() => {
                tracing::info!(db = %db.display(), "scheduled database update done");
            }
            Ok(output) => tracing::error!(
                db = %db.display(),
                status = %output.status,
                stderr = %String::from_utf8_lossy(&output.stderr).trim(),
                "scheduled database update failed; the previous database stays"
            ),
            Err(e) => tracing::error!(error = %e, "cannot run the database update"),
        }
        tokio::time::sleep(every).await;
    }
}

/// SIGTERM (service managers, Kubernetes) or SIGINT (Ctrl-C).
pub(super) async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut term) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

async fn init(args: &ServerStoreArgs, quiet: bool) -> Result<ExitCode> {
    let (_, url) = locations(args)?;
    let store = Store::open(&url).await?;
    if store.user_count().await? > 0 {
        if !quiet {
            eprintln!("the store at {url} has users already: nothing to do");
        }
        return Ok(ExitCode::SUCCESS);
    }
    let password = match std::env::var("KABUTO_ADMIN_PASSWORD") {
        Ok(password) => password,
        Err(_) => ask_password()?,
    };
    kabuto_server::ensure_administrator(&store, &password).await?;
    store.close().await;
    if !quiet {
        eprintln!("created the administrator user in {url}");
    }
    Ok(ExitCode::SUCCESS)
}

fn ask_password() -> Result<String> {
    let first = rpassword::prompt_password("administrator password (12 characters or more): ")
        .context("cannot read a password from the terminal: set KABUTO_ADMIN_PASSWORD instead")?;
    let second = rpassword::prompt_password("again: ").context("cannot read the password")?;
    if first != second {
        bail!("the two passwords differ");
    }
    Ok(first)
}
