//! Helpers shared by the os_* integration tests: running every OS analyzer over a directory
//! tree the way the pipeline would, and locating the shared data they compare against.
//! Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use kabuto_catalog::os::{analyzers, pick_os, qualify_os_packages};
use kabuto_catalog::{FileInput, FileMeta};
use kabuto_types::{OsInfo, Package};

/// `path` if it exists, else `None` after printing why the caller skips.
pub fn shared_path(path: &str) -> Option<PathBuf> {
    let p = PathBuf::from(path);
    if p.exists() {
        Some(p)
    } else {
        println!("SKIP: {path} is absent on this machine");
        None
    }
}

/// The OS and packages the OS analyzers find under `root`, with purls qualified, as the
/// pipeline would report them. Symlinks are not followed (an image layer stores them as links).
pub fn scan_tree(root: &Path) -> (Option<OsInfo>, Vec<Package>, Vec<String>) {
    let analyzers = analyzers();
    let mut os_candidates = Vec::new();
    let mut packages = Vec::new();
    let mut warnings = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            if !meta.is_file() {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            let file_meta = FileMeta {
                size: meta.len(),
                mode: 0o644,
            };
            for analyzer in analyzers.iter().filter(|a| a.wants(&rel, &file_meta)) {
                let content = std::fs::read(&path).expect("readable fixture file");
                let out = analyzer
                    .analyze(FileInput {
                        path: &rel,
                        content: &content,
                    })
                    .unwrap_or_else(|e| panic!("{rel}: {e}"));
                if let Some(os) = out.os {
                    os_candidates.push((rel.clone(), os));
                }
                packages.extend(out.packages);
                warnings.extend(out.warnings);
            }
        }
    }
    let os = pick_os(os_candidates);
    if let Some(os) = &os {
        qualify_os_packages(os, &mut packages);
    }
    (os, packages, warnings)
}
