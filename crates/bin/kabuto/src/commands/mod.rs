//! One function per subcommand.

mod inventory;

use std::process::ExitCode;

use anyhow::Result;

use crate::cli::{Cli, Command, ScanCommand};

pub fn run(cli: Cli) -> Result<ExitCode> {
    let quiet = cli.global.quiet;
    match cli.command {
        Command::Sbom(args) => inventory::sbom(&args, quiet),
        Command::Scan(ScanCommand::Image(args)) => inventory::scan_image(&args, quiet),
        Command::Scan(ScanCommand::Rootfs(args)) => {
            inventory::scan_dir(&args, kabuto_types::ArtifactKind::Rootfs, quiet)
        }
        Command::Scan(ScanCommand::Fs(args)) => {
            inventory::scan_dir(&args, kabuto_types::ArtifactKind::Filesystem, quiet)
        }
    }
}
