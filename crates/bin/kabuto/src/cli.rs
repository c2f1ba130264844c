//! Command-line shape. Flags follow Trivy's names where Trivy has the same concept.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "kabuto",
    version,
    about = "Security scanner for container images, root filesystems and projects",
    after_help = "Exit codes: 0 success; 1 the scan itself failed (bad input, unreachable registry, \
                  broken database); N as given by --exit-code when findings match."
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
    Sbom(SbomArgs),
}

#[derive(Debug, Subcommand)]
pub enum ScanCommand {
    /// Scan a container image: docker-archive or OCI archive/layout path, or registry reference.
    Image(ImageScanArgs),
    /// Scan a root filesystem directory (e.g. `/` of a host or an unpacked image).
    Rootfs(DirScanArgs),
    /// Scan a project directory (lockfiles and manifests, plus installed packages).
    Fs(DirScanArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    Table,
    Json,
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
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Write the report to FILE instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImageScanArgs {
    /// Image archive path, OCI layout directory, or registry reference.
    pub target: String,
    /// List every package found (the inventory).
    #[arg(long)]
    pub list_packages: bool,
    #[arg(short, long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    #[command(flatten)]
    pub output: OutputArgs,
    #[command(flatten)]
    pub registry: RegistryArgs,
}

#[derive(Debug, Args)]
pub struct DirScanArgs {
    /// Directory to scan.
    pub path: PathBuf,
    /// List every package found (the inventory).
    #[arg(long)]
    pub list_packages: bool,
    #[arg(short, long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    #[command(flatten)]
    pub output: OutputArgs,
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
