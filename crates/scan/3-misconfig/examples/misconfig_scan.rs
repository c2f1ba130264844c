//! Scans a directory tree for Dockerfiles and Kubernetes manifests and prints a summary (or
//! the findings as JSON with `--json`). Used by `bench/misconfig.sh` until the CLI has
//! `kabuto config`.

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut json = false;
    let mut root = None;
    for arg in args.by_ref() {
        match arg.as_str() {
            "--json" => json = true,
            _ => root = Some(PathBuf::from(arg)),
        }
    }
    let Some(root) = root else {
        eprintln!("usage: misconfig_scan [--json] DIR");
        std::process::exit(2);
    };
    let mut findings = Vec::new();
    let (mut files, mut errors) = (0usize, 0usize);
    for entry in walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
    {
        if !entry.file_type().is_file() || kabuto_misconfig::wants(entry.path()).is_none() {
            continue;
        }
        let content = match std::fs::read(entry.path()) {
            Ok(content) => content,
            Err(e) => {
                eprintln!("{}: {e}", entry.path().display());
                errors += 1;
                continue;
            }
        };
        files += 1;
        match kabuto_misconfig::scan_file(entry.path(), &content) {
            Some(Ok(found)) => findings.extend(found),
            Some(Err(e)) => {
                eprintln!("warning: {e}");
                errors += 1;
            }
            None => {}
        }
    }
    if json {
        match serde_json::to_string_pretty(&findings) {
            Ok(text) => println!("{text}"),
            Err(e) => eprintln!("{e}"),
        }
    }
    eprintln!(
        "{files} files, {} findings, {errors} errors",
        findings.len()
    );
}
