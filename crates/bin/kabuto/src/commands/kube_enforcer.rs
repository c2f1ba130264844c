//! `kabuto kube-enforcer` (the admission webhook over HTTPS) and `kabuto kube-enforcer certs`.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};
use axum_server::tls_rustls::RustlsConfig;
use kabuto_admission::{
    AuditSink, Enforcer, LocalVerdicts, LogAudit, ServerAudit, ServerVerdicts, Settings,
    VerdictSource,
};
use kabuto_policy::PolicyFiles;
use kabuto_scan::{Engine, Rules, ScanPlan, Scanners};
use kabuto_vulndb::Database;

use super::plan::registry_access;
use super::server::stop_signal;
use crate::cli::{KubeCertsArgs, KubeEnforcerArgs, KubeEnforcerCommand, KubeEnforcerRunArgs};
use crate::paths;

/// How often the server is asked whether verdicts changed.
const GENERATION_POLL: Duration = Duration::from_secs(5);
/// How often the certificate files are checked for a renewal.
const CERT_POLL: Duration = Duration::from_secs(30);
/// Longest wait for one registry HEAD (tag -> digest).
const MAX_REGISTRY_TIMEOUT: Duration = Duration::from_secs(2);
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The webhook configurations as shipped in deploy/ (one source for both install paths).
const VALIDATING_WEBHOOK: &str = include_str!(
    "../../../../../deploy/kubernetes/kube-enforcer/validatingwebhookconfiguration.yaml"
);
const MUTATING_WEBHOOK: &str = include_str!(
    "../../../../../deploy/kubernetes/kube-enforcer/mutatingwebhookconfiguration.yaml"
);

pub fn run(args: &KubeEnforcerArgs, quiet: bool) -> Result<ExitCode> {
    match &args.command {
        Some(KubeEnforcerCommand::Certs(certs)) => write_certs(certs, quiet),
        None => tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?
            .block_on(serve(&args.run, quiet)),
    }
}

async fn serve(args: &KubeEnforcerRunArgs, quiet: bool) -> Result<ExitCode> {
    let (Some(cert), Some(key)) = (&args.tls_cert, &args.tls_key) else {
        bail!(
            "the API server calls webhooks over HTTPS only: give --tls-cert and --tls-key \
             (`kabuto kube-enforcer certs` writes them)"
        );
    };
    let policies = if args.policy.is_empty() {
        PolicyFiles::default()
    } else {
        PolicyFiles::load(&args.policy)?
    };
    let budget = Duration::from_secs(args.timeout.max(1));
    let source = verdict_source(args, &policies, budget)?;
    let mut registry = registry_access(&args.registry)?.options;
    registry.timeout = Some(budget.min(MAX_REGISTRY_TIMEOUT));
    if let Some(auth) = &args.registry_auth {
        registry.docker_config = Some(auth.clone());
    }
    let mut audit: Vec<Box<dyn AuditSink>> = vec![Box::new(LogAudit)];
    if let Some(client) = server_client(args, budget)? {
        audit.push(Box::new(ServerAudit::start(client)));
    }
    let excluded: BTreeSet<String> = ["kube-system".to_owned(), args.namespace.clone()]
        .into_iter()
        .chain(args.exclude_namespace.iter().cloned())
        .collect();
    let settings = Settings {
        cluster: args.cluster.clone(),
        excluded_namespaces: excluded,
        block_unregistered: args.block_unregistered,
        fail_closed: args.fail_closed,
        kubernetes_policies: policies.kubernetes,
        cache_ttl: Duration::from_secs(args.cache_ttl),
        budget,
        registry,
    };
    let describe = describe(&settings, source.as_deref());
    let enforcer = Arc::new(Enforcer::new(settings, source, audit));
    tokio::spawn(poll_generation(Arc::clone(&enforcer)));

    let tls = RustlsConfig::from_config(kabuto_server::rustls_server_config(cert, key)?);
    tokio::spawn(reload_certificates(tls.clone(), cert.clone(), key.clone()));
    let handle = axum_server::Handle::new();
    let listener = std::net::TcpListener::bind(args.listen)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    let addr = listener.local_addr()?;
    let server = axum_server::from_tcp_rustls(listener, tls)
        .with_context(|| format!("cannot listen on {}", args.listen))?
        .handle(handle.clone());
    if !quiet {
        eprintln!("kabuto kube-enforcer listening on https://{addr}: {describe}");
    }
    tracing::info!(%addr, "kube-enforcer started: {describe}");
    tokio::spawn(async move {
        stop_signal().await;
        tracing::info!("stopping: finishing reviews in flight");
        handle.graceful_shutdown(Some(SHUTDOWN_GRACE));
    });
    server
        .serve(
            kabuto_admission::router(enforcer).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .context("the webhook stopped")?;
    Ok(ExitCode::SUCCESS)
}

/// The server client when --server is given.
fn server_client(args: &KubeEnforcerRunArgs, budget: Duration) -> Result<Option<ServerVerdicts>> {
    let user_agent = concat!("kabuto-kube-enforcer/", env!("CARGO_PKG_VERSION"));
    let client = args
        .client
        .connect("an `enforcer` user", budget, user_agent)?;
    Ok(client.map(ServerVerdicts::new))
}

/// Where image verdicts come from: the server, else local scans judged by the image
/// policies given, else nowhere (only Kubernetes assurance policies are judged).
fn verdict_source(
    args: &KubeEnforcerRunArgs,
    policies: &PolicyFiles,
    budget: Duration,
) -> Result<Option<Arc<dyn VerdictSource>>> {
    if let Some(client) = server_client(args, budget)? {
        if !policies.image.is_empty() {
            tracing::warn!(
                "image assurance policies in --policy files are not used with --server: \
                 the server's policies decide"
            );
        }
        return Ok(Some(Arc::new(client)));
    }
    if policies.image.is_empty() {
        return Ok(None);
    }
    let db_path = paths::database(&args.db.db)?;
    let db = Database::open(&db_path)
        .with_context(|| format!("vulnerability database {}", db_path.display()))?;
    let mut plan = ScanPlan {
        scanners: Scanners::from_names(&["vuln".to_owned()]),
        policies: Some(policies.image.clone()),
        registry: registry_access(&args.registry)?,
        ..ScanPlan::default()
    };
    if let Some(auth) = &args.registry_auth {
        plan.registry.options.docker_config = Some(auth.clone());
    }
    if let Some(path) = &args.acknowledgements {
        plan = plan.with_acknowledgements_file(path)?;
    }
    let engine = Engine::new(Some(db), &Rules::default(), plan.effective_scanners())?;
    Ok(Some(Arc::new(LocalVerdicts::new(
        Arc::new(engine),
        plan,
        budget,
    ))))
}

fn describe(settings: &Settings, source: Option<&dyn VerdictSource>) -> String {
    format!(
        "{}; {} Kubernetes assurance policies; {}{}; namespaces not judged: {}",
        source.map_or_else(|| "images not judged".to_owned(), VerdictSource::describe),
        settings.kubernetes_policies.policies().len(),
        if settings.fail_closed {
            "fail closed"
        } else {
            "fail open"
        },
        if settings.block_unregistered {
            "; unregistered images blocked"
        } else {
            ""
        },
        settings
            .excluded_namespaces
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    )
}

async fn poll_generation(enforcer: Arc<Enforcer>) {
    let mut tick = tokio::time::interval(GENERATION_POLL);
    loop {
        tick.tick().await;
        let this = Arc::clone(&enforcer);
        let _ = tokio::task::spawn_blocking(move || this.refresh()).await;
    }
}

/// Loads the certificate again when its files change (cert-manager renews it in place).
async fn reload_certificates(tls: RustlsConfig, cert: PathBuf, key: PathBuf) {
    let modified = |path: &Path| std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let stamp = |cert: &Path, key: &Path| -> (Option<SystemTime>, Option<SystemTime>) {
        (modified(cert), modified(key))
    };
    let mut seen = stamp(&cert, &key);
    let mut tick = tokio::time::interval(CERT_POLL);
    loop {
        tick.tick().await;
        let now = stamp(&cert, &key);
        if now == seen {
            continue;
        }
        match kabuto_server::rustls_server_config(&cert, &key) {
            Ok(config) => {
                tls.reload_from_config(config);
                seen = now;
                tracing::info!(cert = %cert.display(), "TLS certificate reloaded");
            }
            Err(error) => {
                tracing::warn!("TLS certificate not reloaded (kept the old one): {error}")
            }
        }
    }
}

fn write_certs(args: &KubeCertsArgs, quiet: bool) -> Result<ExitCode> {
    let names = kabuto_admission::certs::service_names(&args.service, &args.namespace, &args.names);
    let certs = kabuto_admission::certs::generate(names, i64::from(args.days))?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let ca_bundle = base64_encode(certs.ca_pem.as_bytes());
    let webhooks = [VALIDATING_WEBHOOK, MUTATING_WEBHOOK]
        .iter()
        .map(|text| webhook_configuration(text, args, &ca_bundle))
        .collect::<Result<Vec<_>>>()?
        .join("---\n");
    write_file(&args.out.join("ca.crt"), &certs.ca_pem, 0o644)?;
    write_file(&args.out.join("tls.crt"), &certs.cert_pem, 0o644)?;
    write_file(&args.out.join("tls.key"), &certs.key_pem, 0o600)?;
    write_file(&args.out.join("webhook.yaml"), &webhooks, 0o644)?;
    if !quiet {
        eprintln!(
            "wrote ca.crt, tls.crt, tls.key and webhook.yaml to {}\n\
             next: kubectl -n {ns} create secret tls {service}-tls --cert={dir}/tls.crt --key={dir}/tls.key\n\
             then: kubectl apply -f {dir}/webhook.yaml",
            args.out.display(),
            ns = args.namespace,
            service = args.service,
            dir = args.out.display(),
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// One shipped webhook configuration, pointed at `args`'s Service, with the CA filled in and
/// the failure policy and timeout set.
fn webhook_configuration(template: &str, args: &KubeCertsArgs, ca_bundle: &str) -> Result<String> {
    use serde_yaml::Value;
    let mut document: Value =
        serde_yaml::from_str(template).context("the shipped webhook configuration")?;
    let webhooks = document
        .get_mut("webhooks")
        .and_then(Value::as_sequence_mut)
        .context("the shipped webhook configuration has no webhooks")?;
    for webhook in webhooks {
        webhook["failurePolicy"] = (if args.fail_closed { "Fail" } else { "Ignore" }).into();
        webhook["timeoutSeconds"] = u64::from(args.timeout_seconds).into();
        webhook["clientConfig"]["caBundle"] = ca_bundle.into();
        webhook["clientConfig"]["service"]["name"] = args.service.as_str().into();
        webhook["clientConfig"]["service"]["namespace"] = args.namespace.as_str().into();
        if let Some(expressions) =
            webhook["namespaceSelector"]["matchExpressions"].as_sequence_mut()
        {
            for expression in expressions {
                expression["values"] =
                    Value::Sequence(vec!["kube-system".into(), args.namespace.as_str().into()]);
            }
        }
    }
    Ok(serde_yaml::to_string(&document)?)
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn write_file(path: &Path, text: &str, mode: u32) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))
}
