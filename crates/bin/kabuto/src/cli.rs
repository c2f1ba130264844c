//! Command-line shape. Flags follow Trivy's names where Trivy has the same concept.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "kabuto",
    version,
    about = "Security scanner for container images, root filesystems and projects",
    after_help = "Exit codes: 0 success; 1 the scan itself failed (bad input, unreachable registry, \
                  broken database, invalid policy, usage error, a package database that could \
                  not be read whole without --allow-incomplete); 4 an image assurance policy \
                  with fail_cicd failed (--policy); N as given by --exit-code when findings remain."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Only print errors (no progress bar, no warnings).
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Debug logging (also: KABUTO_LOG=debug).
    #[arg(long, global = true)]
    pub debug: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan an image, a root filesystem or a project directory.
    #[command(subcommand)]
    Scan(ScanCommand),
    /// Write a software bill of materials (SBOM) of an image or directory.
    ///
    /// TARGET may be prefixed to force its kind: docker-archive:, oci-archive:, oci-dir:,
    /// registry:, rootfs:, dir:. Without a prefix, an existing directory with an
    /// `oci-layout` file is an OCI layout, another directory is a project (`dir:`),
    /// an existing file is an image archive, and anything else is a registry reference.
    ///
    /// A package database that could not be read whole (W-INCOMPLETE-PACKAGE-DB) is a
    /// warning here and the SBOM lists what was read: an SBOM is not a gate (`kabuto scan`
    /// fails on it unless given --allow-incomplete).
    Sbom(SbomArgs),
    /// Image assurance policies: start from a template, or validate a policy file.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Check configuration files (Dockerfiles, Kubernetes manifests) for misconfigurations.
    Config(ConfigArgs),
    /// Build, import, update and inspect the vulnerability database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Run the Kabuto server: keeps registered scans, decides verdicts with its policies and
    /// acknowledgements, serves the REST API (docs: README "The server").
    Server(ServerArgs),
    /// Run the Kubernetes admission webhook: denies pods and workloads whose images fail a
    /// blocking image assurance policy or whose settings fail a Kubernetes assurance policy
    /// (docs: README "Admission control in Kubernetes").
    KubeEnforcer(KubeEnforcerArgs),
    /// Run the runtime enforcer on this node (root): watches every container's processes
    /// and network with eBPF and, per runtime policy, detects (audit) or blocks (enforce)
    /// what the policy forbids; audit events go to a spool on disk, then to --events,
    /// --syslog and --server, whose runtime policies apply too (docs: README "Runtime
    /// protection").
    Enforcer(EnforcerArgs),
}

#[derive(Debug, Args)]
pub struct EnforcerArgs {
    /// Runtime policy files (YAML or JSON, Aqua's container runtime policy vocabulary). With
    /// --server, the server's runtime policies apply too; without it a file is needed.
    #[arg(long, value_name = "FILE", required_unless_present = "server")]
    pub policy: Vec<PathBuf>,
    /// Append audit events to this file as JSON lines; `-` writes them to standard output.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// Send each audit event to the local syslog daemon (/dev/log; facility auth, tag
    /// kabuto-enforcer, the event's JSON as the message).
    #[arg(long)]
    pub syslog: bool,
    /// The Kabuto server: audit events go to its audit log, its runtime policies are
    /// enforced, and the enforcer reports itself there (GET /api/v1/enforcers).
    #[command(flatten)]
    pub client: ServerClientArgs,
    /// Time between two fetches of the server's runtime policies (a change is taken up
    /// without a restart) and two reports to it.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = parse_refresh)]
    pub policy_refresh: std::time::Duration,
    /// Directory of the spool that keeps audit events until they are delivered.
    #[arg(
        long,
        default_value = "/var/lib/kabuto/enforcer/spool",
        value_name = "DIR"
    )]
    pub spool: PathBuf,
    /// Size of the spool in MiB; when it is full, new audit events are dropped (and counted).
    #[arg(long, default_value_t = 256, value_name = "MIB")]
    pub spool_max_mb: u64,
    /// Runtime state directories to read container identities from, runc's or crun's
    /// (default: runc's, containerd's, Docker's and crun's). A path ending in `/*` holds one
    /// per subdirectory.
    #[arg(long = "state-root", value_name = "DIR")]
    pub state_roots: Vec<PathBuf>,
    /// The cgroup2 mount (default: /sys/fs/cgroup/unified on hybrid hosts, else
    /// /sys/fs/cgroup, under --host-root).
    #[arg(long, value_name = "DIR")]
    pub cgroup_root: Option<PathBuf>,
    /// Where the host's `/` is mounted when the enforcer runs in a container (a DaemonSet
    /// mounts it at /host): runtime state directories, cgroup paths and container roots are
    /// host paths, read under it.
    #[arg(long, default_value = "/", value_name = "DIR")]
    pub host_root: PathBuf,
    /// The node's name in audit events (default: the host name).
    #[arg(long, env = "NODE_NAME", value_name = "NAME")]
    pub host: Option<String>,
    /// How denied execs are stopped: `auto` takes the best the kernel allows (BPF-LSM, then
    /// fanotify permission events, then a kill before the new program runs).
    #[arg(long, value_enum, default_value_t = ExecEnforcementArg::Auto)]
    pub exec_enforcement: ExecEnforcementArg,
}

/// `--exec-enforcement`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExecEnforcementArg {
    Auto,
    /// BPF-LSM: EPERM before the exec (an error where the kernel refuses it).
    Lsm,
    /// fanotify FAN_OPEN_EXEC_PERM: EPERM before the program runs.
    Fanotify,
    /// tp_btf + SIGKILL before the new program runs.
    Kill,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct KubeEnforcerArgs {
    #[command(subcommand)]
    pub command: Option<KubeEnforcerCommand>,
    #[command(flatten)]
    pub run: Box<KubeEnforcerRunArgs>,
}

#[derive(Debug, Subcommand)]
pub enum KubeEnforcerCommand {
    /// Write a private CA, the webhook's serving certificate and key for its Service, and
    /// webhook.yaml: the two webhook configurations with the CA in their caBundle.
    Certs(KubeCertsArgs),
}

#[derive(Debug, Args)]
pub struct KubeCertsArgs {
    /// The enforcer's Service name.
    #[arg(long, default_value = "kabuto-kube-enforcer")]
    pub service: String,
    /// The enforcer's namespace.
    #[arg(long, default_value = "kabuto")]
    pub namespace: String,
    /// Directory to write ca.crt, tls.crt, tls.key and webhook.yaml into.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Extra names (DNS names or IP addresses) the certificate is valid for.
    #[arg(long = "name", value_name = "NAME")]
    pub names: Vec<String>,
    /// Days the certificates are valid.
    #[arg(long, default_value_t = 365)]
    pub days: u32,
    /// The API server refuses objects when the webhook cannot be reached (failurePolicy
    /// Fail); run the enforcer with --fail-closed to match.
    #[arg(long)]
    pub fail_closed: bool,
    /// How long the API server waits for the webhook (1-30 s).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u8).range(1..=30))]
    pub timeout_seconds: u8,
}

#[derive(Debug, Args)]
pub struct KubeEnforcerRunArgs {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:8443", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// TLS certificate chain (PEM): the API server only calls webhooks over HTTPS. Reloaded
    /// when the file changes (cert-manager renewals).
    #[arg(long, env = "KABUTO_TLS_CERT", value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, env = "KABUTO_TLS_KEY", value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// The Kabuto server to ask for image verdicts (and to send audit events to).
    #[command(flatten)]
    pub client: ServerClientArgs,
    /// Policy files: Kubernetes assurance policies (judged here, with or without a server)
    /// and, without --server, image assurance policies for images scanned here.
    #[arg(long, value_name = "FILE")]
    pub policy: Vec<PathBuf>,
    /// Acknowledgements file for images scanned here (without --server).
    #[arg(long, value_name = "FILE")]
    pub acknowledgements: Option<PathBuf>,
    #[command(flatten)]
    pub db: DbArgs,
    /// The enforcer's own namespace (never judged, so its pods always start).
    #[arg(long, env = "POD_NAMESPACE", default_value = "kabuto")]
    pub namespace: String,
    /// More namespaces never judged, besides kube-system and the enforcer's own.
    #[arg(long, value_name = "NAMESPACE")]
    pub exclude_namespace: Vec<String>,
    /// The cluster's name, for `kubernetes.cluster` scopes and audit events.
    #[arg(long, env = "KABUTO_CLUSTER", default_value = "default")]
    pub cluster: String,
    /// Deny images the server does not know (or has not scanned yet).
    #[arg(long)]
    pub block_unregistered: bool,
    /// Deny when no verdict can be had (server unreachable, timeout): Aqua's
    /// block_admission_control. Without it the request is allowed with a warning and an
    /// audit event. Match the webhook's failurePolicy (`certs --fail-closed`).
    #[arg(long)]
    pub fail_closed: bool,
    /// Seconds a verdict and a tag's digest are reused (0: never).
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub cache_ttl: u64,
    /// Seconds one review may wait for its images' verdicts (keep it under the webhook's
    /// timeoutSeconds). A local scan that takes longer goes on for the next request.
    #[arg(long, default_value_t = 4, value_name = "SECONDS")]
    pub timeout: u64,
    /// Docker config.json with registry credentials (a mounted pull secret), for resolving
    /// tags to digests and for local scans.
    #[arg(long, value_name = "FILE")]
    pub registry_auth: Option<PathBuf>,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ServerArgs {
    #[command(subcommand)]
    pub command: Option<ServerCommand>,
    #[command(flatten)]
    pub run: ServerRunArgs,
}

#[derive(Debug, Subcommand)]
pub enum ServerCommand {
    /// Create the administrator user, asking for its password on the terminal (or reading
    /// it from KABUTO_ADMIN_PASSWORD), then exit.
    Init(ServerStoreArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ServerStoreArgs {
    /// Where the server keeps its files (default: $XDG_DATA_HOME/kabuto, or
    /// ~/.local/share/kabuto).
    #[arg(long, env = "KABUTO_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Where scans, policies and users live: `sqlite:PATH` or `postgres://USER@HOST/DB`
    /// (default: kabuto.sqlite in the data directory).
    #[arg(long, env = "KABUTO_STORE", value_name = "URL", hide_env_values = true)]
    pub store: Option<String>,
}

#[derive(Debug, Args)]
pub struct ServerRunArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    #[command(flatten)]
    pub store: ServerStoreArgs,
    /// The server's vulnerability database (default: kabuto.db in the data directory); it is
    /// loaded again whenever the file changes (`kabuto db update --db FILE`).
    #[arg(long, env = "KABUTO_DB", value_name = "FILE")]
    pub db: Option<PathBuf>,
    /// TLS certificate chain (PEM); with --tls-key the server speaks HTTPS.
    #[arg(
        long,
        env = "KABUTO_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(
        long,
        env = "KABUTO_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
    /// Allow plain HTTP on a non-loopback address (when a proxy in front terminates TLS).
    #[arg(long)]
    pub insecure_listen: bool,
    /// Registry scans the server runs at once (each holds one image's layers in flight).
    #[arg(long, env = "KABUTO_SCAN_WORKERS", default_value_t = 2, value_name = "N",
          value_parser = clap::value_parser!(u8).range(1..=64))]
    pub scan_workers: u8,
    /// Update the server's vulnerability database on this schedule (`24h`, `6h`), at once
    /// when there is none yet; the new database is loaded and every stored image is judged
    /// again. Off when not given.
    #[arg(long, env = "KABUTO_DB_UPDATE_EVERY", value_name = "DURATION", value_parser = parse_interval)]
    pub db_update_every: Option<std::time::Duration>,
    /// Where the scheduled update takes the database from: `fetch` builds it from the feeds
    /// (`kabuto db build --fetch`), anything else is what `kabuto db update --from` takes
    /// (default: the project's published database).
    #[arg(
        long,
        env = "KABUTO_DB_UPDATE_FROM",
        value_name = "fetch|oci://REF|URL|PATH"
    )]
    pub db_update_from: Option<String>,
}

/// The enforcer's policy refresh: `humantime` text of 1 s to a day.
fn parse_refresh(text: &str) -> Result<std::time::Duration, String> {
    let interval = humantime::parse_duration(text).map_err(|e| format!("{text:?}: {e}"))?;
    if !(std::time::Duration::from_secs(1)..=std::time::Duration::from_secs(86_400))
        .contains(&interval)
    {
        return Err(format!("{text:?}: between 1s and 1day"));
    }
    Ok(interval)
}

/// A schedule interval: `humantime` text of at least a minute.
fn parse_interval(text: &str) -> Result<std::time::Duration, String> {
    let interval = humantime::parse_duration(text).map_err(|e| format!("{text:?}: {e}"))?;
    if interval < std::time::Duration::from_secs(60) {
        return Err(format!("{text:?}: at least 1m"));
    }
    Ok(interval)
}

/// A Kabuto server and how to reach it: the same flags, with the same meaning, on every
/// subcommand that talks to one (`scan`, `kube-enforcer`, `enforcer`).
#[derive(Debug, Clone, Args)]
pub struct ServerClientArgs {
    /// Kabuto server URL.
    #[arg(long, env = "KABUTO_SERVER", value_name = "URL")]
    pub server: Option<String>,
    /// API token for --server (create one with POST /api/v1/tokens; enforcers need a user
    /// with the `enforcer` role).
    #[arg(
        long,
        env = "KABUTO_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: Option<String>,
    /// Extra CA certificate (PEM) to trust for the server's TLS, besides the system's.
    #[arg(long, value_name = "FILE")]
    pub server_ca: Option<PathBuf>,
}

impl ServerClientArgs {
    /// The client of --server, `None` without one; `who` says whose token --token must be.
    pub fn connect(
        &self,
        who: &str,
        timeout: std::time::Duration,
        user_agent: &str,
    ) -> anyhow::Result<Option<kabuto_client::ServerClient>> {
        let Some(url) = &self.server else {
            return Ok(None);
        };
        let Some(token) = &self.token else {
            anyhow::bail!("--server needs --token (or KABUTO_TOKEN): an API token of {who}");
        };
        let client = kabuto_client::ServerClient::new(
            url,
            token,
            self.server_ca.as_deref(),
            timeout,
            user_agent,
        )
        .map_err(|e| match &self.server_ca {
            Some(ca) => anyhow::anyhow!("--server-ca {}: {e}", ca.display()),
            None => e.into(),
        })?;
        Ok(Some(client))
    }
}

/// Sending a scan to a Kabuto server (the CI gate through the server): the server judges the
/// scan with its own policies and acknowledgements; the exit code is 4 when a fail_cicd
/// policy failed there.
#[derive(Debug, Args)]
pub struct ServerGateArgs {
    #[command(flatten)]
    pub client: ServerClientArgs,
    /// Store the scan at the server (without it the server only answers the verdict).
    #[arg(long, requires = "server")]
    pub register: bool,
}

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Print a built-in policy template: default, nist-800-190, pci-dss.
    Init {
        #[arg(long, default_value = "default", value_parser = kabuto_policy::templates::NAMES)]
        template: String,
    },
    /// Validate policy files without scanning; exit 1 naming file, line and field if invalid.
    Check {
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Build a database file from advisory feeds (OSV JSON/YAML/all.zip, RustSec, rubysec,
    /// FriendsOfPHP, Node.js security WG, Alpine secdb, Debian tracker JSON), enriched with
    /// NVD CVSS, EPSS and KEV when those files are among the sources. `--fetch` downloads the
    /// feeds first.
    Build {
        /// A feed file, directory or `all.zip`; repeat for several. With `--fetch`, read
        /// beside the fetched feeds.
        #[arg(
            long = "source",
            value_name = "PATH",
            required_unless_present = "fetch"
        )]
        sources: Vec<PathBuf>,
        /// Where to write the database (default: the user's cache directory); `--db` and
        /// `KABUTO_DB` name it as on every other subcommand.
        #[arg(
            short,
            long,
            visible_alias = "db",
            env = "KABUTO_DB",
            value_name = "FILE"
        )]
        output: Option<PathBuf>,
        #[command(flatten)]
        fetch: FetchArgs,
        /// Sign the database with this Ed25519 key (PEM, `kabuto db keygen`): writes
        /// `<output>.sig` beside it.
        #[arg(long, value_name = "FILE")]
        signing_key: Option<PathBuf>,
    },
    /// Print the feed sources `db build --fetch` uses (the built-in ones, or FILE checked
    /// and normalised): the starting point of a mirror's sources file.
    Sources {
        #[arg(long = "sources", value_name = "FILE")]
        file: Option<PathBuf>,
    },
    /// Validate a database file (and its signature `<file>.sig`) and install it as the
    /// default (or --db) database.
    Import {
        file: PathBuf,
        #[command(flatten)]
        verify: VerifyArgs,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Download (or copy) a database, check its digest and signature and swap it in
    /// atomically; the previous database stays in place if anything fails.
    Update {
        /// `oci://REGISTRY/REPO:TAG` (default: the project's published database), or the URL
        /// (http/https) or path of a database file (checksum from --sha256 or `<from>.sha256`,
        /// signature from `<from>.sig`).
        #[arg(long, value_name = "oci://REF|URL|PATH")]
        from: Option<String>,
        /// Expected SHA-256 (hex) of a database file. Default: read from `<from>.sha256`.
        #[arg(long, value_name = "HEX")]
        sha256: Option<String>,
        #[command(flatten)]
        verify: VerifyArgs,
        #[command(flatten)]
        registry: RegistryArgs,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Push the database as a signed OCI artifact (`kabuto db update --from` pulls it).
    Publish {
        /// Where: `oci://REGISTRY/REPO:TAG`.
        #[arg(long, value_name = "oci://REF")]
        to: String,
        /// Ed25519 key (PEM) to sign with; without one the artifact is unsigned and `db
        /// update` refuses it unless --insecure-skip-verify.
        #[arg(long, value_name = "FILE")]
        signing_key: Option<PathBuf>,
        #[command(flatten)]
        registry: RegistryArgs,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Make an Ed25519 key pair for signing databases: FILE (private, mode 600) and FILE.pub.
    Keygen {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Show sources, counts per ecosystem, build time and age.
    Info {
        #[command(flatten)]
        db: DbArgs,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// How `db build --fetch` downloads the feeds.
#[derive(Debug, Clone, Args)]
pub struct FetchArgs {
    /// Download the feeds first (conditional requests: only what changed upstream).
    #[arg(long)]
    pub fetch: bool,
    /// Sources file (YAML; `kabuto db sources` prints the built-in one) replacing the feed
    /// locations, e.g. for a mirror.
    #[arg(long = "sources", value_name = "FILE", requires = "fetch")]
    pub sources_file: Option<PathBuf>,
    /// Where fetched feeds are kept between runs (default: `kabuto/feeds` in the user's
    /// cache directory).
    #[arg(long, value_name = "DIR")]
    pub feed_cache: Option<PathBuf>,
    /// Fail, keeping the old database, when any feed could not be fetched (default: build
    /// from what was fetched and the cached copies of the feeds that failed).
    #[arg(long)]
    pub strict: bool,
    /// Never use the network: build from the feed cache as it is.
    #[arg(long)]
    pub offline: bool,
}

/// How a database's signature is checked.
#[derive(Debug, Clone, Args)]
pub struct VerifyArgs {
    /// Ed25519 public key (PEM) the signature must verify with (default: the project's
    /// release key).
    #[arg(long, env = "KABUTO_DB_PUBLIC_KEY", value_name = "FILE")]
    pub public_key: Option<PathBuf>,
    /// Install a database without a valid signature (its digest is still checked).
    #[arg(long)]
    pub insecure_skip_verify: bool,
}

/// Which vulnerability database to use.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// Vulnerability database file (default: `kabuto/db/kabuto.db` in the user's cache directory).
    #[arg(long, env = "KABUTO_DB", value_name = "FILE")]
    pub db: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortBy {
    Package,
    Risk,
}

impl From<SortBy> for kabuto_report::VulnerabilityOrder {
    fn from(sort: SortBy) -> Self {
        match sort {
            SortBy::Package => kabuto_report::VulnerabilityOrder::Package,
            SortBy::Risk => kabuto_report::VulnerabilityOrder::Risk,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum ScanCommand {
    /// Scan a container image: docker-archive or OCI archive/layout path, or registry reference.
    Image(Box<ImageScanArgs>),
    /// Scan a root filesystem directory (e.g. `/` of a host or an unpacked image).
    Rootfs(Box<DirScanArgs>),
    /// Scan a project directory (lockfiles and manifests, plus installed packages).
    Fs(Box<DirScanArgs>),
    /// Match an SBOM (CycloneDX JSON, SPDX JSON: Kabuto's, Trivy's or Syft's) or a Kabuto
    /// JSON report against the database, without the image: suppression, policies and
    /// every report format as for `scan image`.
    Sbom(Box<SbomScanArgs>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SbomFormat {
    Cyclonedx,
    #[value(name = "spdx-json")]
    SpdxJson,
    Json,
    Table,
}

/// How to reach a registry.
#[derive(Debug, Clone, Args)]
pub struct RegistryArgs {
    /// Platform to pick from a multi-arch image index, as os/arch[/variant].
    #[arg(long, value_name = "OS/ARCH")]
    pub platform: Option<String>,
    /// Talk to the registry over plain HTTP.
    #[arg(long)]
    pub insecure: bool,
    /// Registry user name (also KABUTO_USERNAME).
    #[arg(long, env = "KABUTO_USERNAME")]
    pub username: Option<String>,
    /// Registry password or token (also KABUTO_PASSWORD).
    #[arg(long, env = "KABUTO_PASSWORD", hide_env_values = true)]
    pub password: Option<String>,
    /// Extra CA certificate (PEM) to trust for registry TLS.
    #[arg(long, value_name = "FILE")]
    pub registry_ca: Option<PathBuf>,
    /// Never use the network: a registry reference is refused (the database is always a
    /// local file; scans never download it).
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// What a scan looks for and how it reports, shared by `scan image`, `rootfs` and `fs`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// What to look for, comma-separated: vuln, secret, misconfig, malware (none = inventory only).
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "vuln,secret",
        value_parser = ["vuln", "secret", "misconfig", "malware", "none"]
    )]
    pub scanners: Vec<String>,
    /// Extra YARA rule directories for the malware scanner (every .yar/.yara file).
    #[arg(long, value_name = "DIR")]
    pub malware_rules: Vec<PathBuf>,
    /// Extra SHA-256 blocklists for the malware scanner (`sha256  name  [description]` lines).
    #[arg(long, value_name = "FILE")]
    pub malware_hashes: Vec<PathBuf>,
    /// Secret scanning rules: a Trivy-shaped YAML file (rules, allow-rules, disable-rules, ...).
    #[arg(long, value_name = "FILE")]
    pub secret_config: Option<PathBuf>,
    /// Report format: table, json, sarif, cyclonedx, spdx-json, junit, html.
    #[arg(short, long, default_value = "table", value_parser = parse_format)]
    pub format: kabuto_report::Format,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Also list every package found (the inventory).
    #[arg(long)]
    pub list_packages: bool,
    /// Show, for each finding, the advisory range and the version comparison that matched.
    #[arg(long)]
    pub explain: bool,
    /// Order of the vulnerabilities: `package` (by package, most severe first) or `risk`
    /// (known exploited first, then by EPSS score, then by CVSS score).
    #[arg(long, value_enum, default_value = "package", value_name = "ORDER")]
    pub sort_by: SortBy,
    /// Only report these severities, comma-separated (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL).
    #[arg(long, value_delimiter = ',', value_parser = parse_severity)]
    pub severity: Vec<kabuto_types::Severity>,
    /// Hide vulnerabilities that have no fixed version yet.
    #[arg(long)]
    pub ignore_unfixed: bool,
    /// Exit with this code when findings remain after filtering (0 = always succeed).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub exit_code: u8,
    /// Report what could be read when a package database could not be read whole (over the
    /// size limit, cut short, over the package cap; warning W-INCOMPLETE-PACKAGE-DB).
    /// Without it such a scan fails with exit code 1 naming the file, since packages (and
    /// their vulnerabilities) may be missing.
    #[arg(long)]
    pub allow_incomplete: bool,
    #[command(flatten)]
    pub db: DbArgs,
    /// Warn when the database is older than this many days.
    #[arg(long, default_value_t = kabuto_vulndb::age::DEFAULT_MAX_AGE_DAYS, value_name = "DAYS")]
    pub db_max_age: u64,
    /// Vulnerabilities to ignore: one id per line (`# comment`, `exp:YYYY-MM-DD`), or YAML
    /// (`vulnerabilities: [{id, paths, purls, statement, expired_at}]`).
    /// Default: `.kabutoignore` or `.kabutoignore.yaml` in the current directory, if present.
    #[arg(long, value_name = "FILE")]
    pub ignorefile: Option<PathBuf>,
    /// VEX documents (OpenVEX or CycloneDX VEX); not_affected/fixed statements suppress findings.
    #[arg(long, value_name = "FILE")]
    pub vex: Vec<PathBuf>,
    /// Print suppressed findings and why, on standard error.
    #[arg(long)]
    pub show_suppressed: bool,
    /// Image assurance policy files (YAML or JSON; repeat for several). A failed policy
    /// with `fail_cicd` makes the scan exit 4.
    #[arg(long, value_name = "FILE")]
    pub policy: Vec<PathBuf>,
    /// Acknowledged vulnerabilities (who, why, until when): policies do not fail on them, and
    /// every report marks them (CycloneDX `analysis`, the JSON `acknowledgement` field).
    #[arg(long, value_name = "FILE")]
    pub acknowledgements: Option<PathBuf>,
    #[command(flatten)]
    pub gate: ServerGateArgs,
}

fn parse_format(s: &str) -> Result<kabuto_report::Format, String> {
    s.parse()
        .map_err(|e: kabuto_report::UnknownFormat| e.to_string())
}

fn parse_severity(s: &str) -> Result<kabuto_types::Severity, String> {
    kabuto_types::Severity::from_label(s).ok_or_else(|| {
        format!("unknown severity `{s}` (expected UNKNOWN, LOW, MEDIUM, HIGH or CRITICAL)")
    })
}

#[derive(Debug, Args)]
pub struct ImageScanArgs {
    /// Image archive path, OCI layout directory (`dir:tag` picks a tag), or registry reference.
    pub target: String,
    #[command(flatten)]
    pub scan: ScanArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct SbomScanArgs {
    /// The SBOM or report file.
    pub path: PathBuf,
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Accepted as on `scan image`: the file is read, never anything from the network.
    #[arg(long = "offline")]
    pub _offline: bool,
}

#[derive(Debug, Args)]
pub struct DirScanArgs {
    /// Directory to scan.
    pub path: PathBuf,
    /// Accepted as on `scan image`: a directory scan never uses the network anyway.
    #[arg(long = "offline")]
    pub _offline: bool,
    #[command(flatten)]
    pub scan: ScanArgs,
}

#[derive(Debug, Args)]
pub struct SbomArgs {
    /// What to inventory (see `kabuto sbom --help` for the accepted forms).
    pub target: String,
    #[arg(short, long, value_enum, default_value_t = SbomFormat::Cyclonedx)]
    pub format: SbomFormat,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// A Dockerfile, a Kubernetes manifest, or a directory holding them.
    pub path: PathBuf,
    /// Report format: table, json, sarif, junit, html.
    #[arg(short, long, default_value = "table", value_parser = parse_format)]
    pub format: kabuto_report::Format,
    #[command(flatten)]
    pub output: OutputArgs,
    /// Only report these severities, comma-separated (UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL).
    #[arg(long, value_delimiter = ',', value_parser = parse_severity)]
    pub severity: Vec<kabuto_types::Severity>,
    /// Exit with this code when findings remain after filtering (0 = always succeed).
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub exit_code: u8,
    /// Checks to ignore: one check id per line (`KBK001`, `# comment`, `exp:YYYY-MM-DD`), or
    /// YAML (`misconfigurations: [{id, paths, statement, expired_at}]`, paths being globs over
    /// the files' paths). Default: `.kabutoignore` or `.kabutoignore.yaml` in the current
    /// directory, if present.
    #[arg(long, value_name = "FILE")]
    pub ignorefile: Option<PathBuf>,
    /// Print suppressed findings and why, on standard error.
    #[arg(long)]
    pub show_suppressed: bool,
}
