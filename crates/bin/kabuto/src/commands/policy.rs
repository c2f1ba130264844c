//! `kabuto policy init|check`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, Result};
use kabuto_policy::PolicySet;

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
                write!(out, "{}", set.describe())?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
