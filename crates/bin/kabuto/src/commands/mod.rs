//! One module per subcommand family.

mod config;
pub mod db;
mod db_remote;
mod enforcer;
mod gate;
mod inventory;
mod kube_enforcer;
mod plan;
mod policy;
mod scan;
mod server;

use std::process::ExitCode;

use anyhow::Result;
use kabuto_types::text::terminal_safe;

use crate::cli::{Cli, Command, ScanCommand};

pub fn run(cli: Cli) -> Result<ExitCode> {
    let quiet = cli.global.quiet;
    match cli.command {
        Command::Sbom(args) => inventory::sbom(&args, quiet),
        Command::Scan(ScanCommand::Image(args)) => scan::image(&args, quiet),
        Command::Scan(ScanCommand::Rootfs(args)) => scan::rootfs(&args, quiet),
        Command::Scan(ScanCommand::Fs(args)) => scan::project(&args, quiet),
        Command::Scan(ScanCommand::Sbom(args)) => scan::sbom(&args, quiet),
        Command::Db(command) => db::run(command, quiet),
        Command::Config(args) => config::run(&args, quiet),
        Command::Policy(command) => policy::run(command),
        Command::Server(args) => server::run(&args, quiet),
        Command::KubeEnforcer(args) => kube_enforcer::run(&args, quiet),
        Command::Enforcer(args) => enforcer::run(&args, quiet),
    }
}

/// Prints `label: text` to stderr, `text` (which quotes the input) made terminal-safe.
fn eprint_safe(label: &str, text: impl std::fmt::Display) {
    eprintln!("{label}: {}", terminal_safe(&text.to_string()));
}

/// `--show-suppressed`: each finding an ignore file or VEX document removed, and the rule.
fn print_suppressed(result: &kabuto_scan::ScanResult) {
    for s in &result.suppressed {
        eprint_safe(
            "suppressed",
            format_args!(
                "{} in {}@{}: {}",
                s.finding.id, s.finding.package_name, s.finding.installed_version, s.reason
            ),
        );
    }
    for s in &result.suppressed_misconfigs {
        let at = match s.finding.lines {
            Some(lines) => format!("{}:{}", s.finding.path, lines.start),
            None => s.finding.path.clone(),
        };
        eprint_safe(
            "suppressed",
            format_args!("{} in {at}: {}", s.finding.check_id, s.reason),
        );
    }
}
