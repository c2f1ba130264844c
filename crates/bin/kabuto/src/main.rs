//! The `kabuto` command line: a thin layer over the scan engine (`kabuto-scan`) and the
//! renderers.
//!
//! Exit codes (as CI users of security scanners expect):
//! - 0: the command succeeded (and, where a gate applies, nothing exceeded it);
//! - 1: the command itself failed (bad input, unreadable image, unreachable registry, broken DB);
//! - `--exit-code N`: findings matched the gate's criteria.

mod cli;
mod commands;
mod paths;
mod progress;

use std::process::ExitCode;

use clap::Parser;
use kabuto_types::text::terminal_safe;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and --version go to stdout with 0; a usage error is a failed command (1),
            // never clap's 2, which a user's `--exit-code 2` gate could mean.
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let server = matches!(
        cli.command,
        cli::Command::Server(_) | cli::Command::KubeEnforcer(_) | cli::Command::Enforcer(_)
    );
    init_logging(cli.global.quiet, cli.global.debug, server);
    match commands::run(cli) {
        Ok(code) => code,
        // A reader that stops early (`kabuto ... | head`) is not a failure of the scan.
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", terminal_safe(&error_message(&e)));
            ExitCode::from(1)
        }
    }
}

/// The error and its causes on one line. Library errors often repeat their source's text in
/// their own message; a cause already said is not said twice. Errors quote names from the
/// input (archive members, manifest fields, file names), so the caller escapes the result.
fn error_message(error: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in error.chain() {
        let text = cause.to_string();
        if !message.contains(&text) {
            if !message.is_empty() {
                message.push_str(": ");
            }
            message.push_str(&text);
        }
    }
    message
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// A server logs what it does (`info`); a scan only what went wrong.
fn init_logging(quiet: bool, debug: bool, server: bool) {
    let default = if debug {
        "debug"
    } else if quiet {
        "error"
    } else if server {
        "info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("KABUTO_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .without_time()
        .init();
}
