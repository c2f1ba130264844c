//! `kabuto policy init|check`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use kabuto_policy::PolicySet;
use kabuto_types::text::terminal_safe;

use crate::cli::PolicyCommand;

pub fn run(command: PolicyCommand) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match command {
        PolicyCommand::Init { template } => {
            let text = kabuto_policy::templates::get(&template)
                .with_context(|| format!("no template named {template}"))?;
            out.write_all(text.as_bytes())?;
        }
        PolicyCommand::Check { files } => {
            for file in files {
                let set = PolicySet::load(&file)?;
                writeln!(out, "{}: valid", file.display())?;
                // Policy names come from the file.
                for line in set.describe().lines() {
                    writeln!(out, "{}", terminal_safe(line))?;
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
