//! Targets: what a package or finding is grouped under in the human formats (and the JSON
//! `target` field). OS packages share one target named after the OS release,
//! `<os> <version>`. Language packages are grouped by where they are installed or declared:
//!
//! - installed Python distributions (`.../site-packages/x.dist-info/METADATA`, `.egg-info`):
//!   the directory holding the metadata directory (`app/venv/lib/python3.11/site-packages`);
//! - `node_modules` trees: the project directory above the first `node_modules`, which is
//!   also where the project's own `package.json` lives (`app/web`);
//! - anything else (lockfiles, jars, binaries): the file itself.
//!
//! Targets order OS first, then by path, then ecosystem.

use kabuto_types::{Ecosystem, Location, OsInfo};

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Target {
    is_lang: bool,
    pub(crate) name: String,
    pub(crate) ecosystem: Ecosystem,
}

impl Target {
    pub(crate) fn of(os: Option<&OsInfo>, ecosystem: Ecosystem, locations: &[Location]) -> Self {
        let name = if ecosystem.is_os() {
            match os {
                Some(os) => format!("{} {}", os.family, os.version),
                None => "OS packages".to_owned(),
            }
        } else {
            // A package read from an SBOM may come without a file.
            locations.first().map_or_else(
                || format!("{ecosystem} packages"),
                |l| install_target(&l.path).to_owned(),
            )
        };
        Target {
            is_lang: !ecosystem.is_os(),
            name,
            ecosystem,
        }
    }

    pub(crate) fn is_os(&self) -> bool {
        !self.is_lang
    }

    /// `debian 12.15 (deb)`, `app/web (npm)`.
    pub(crate) fn title(&self) -> String {
        format!("{} ({})", self.name, self.ecosystem)
    }
}

/// The install root or manifest a language package belongs to (see module docs).
fn install_target(path: &str) -> &str {
    let segments: Vec<&str> = path.split('/').collect();
    if let Some(i) = segments
        .iter()
        .position(|s| s.ends_with(".dist-info") || s.ends_with(".egg-info"))
    {
        return prefix(path, &segments[..i]);
    }
    if let Some(i) = segments.iter().position(|s| *s == "node_modules") {
        return prefix(path, &segments[..i]);
    }
    if segments.last() == Some(&"package.json") {
        return prefix(path, &segments[..segments.len() - 1]);
    }
    path
}

/// The part of `path` made of its first `segments`; `.` when that is nothing.
fn prefix<'p>(path: &'p str, segments: &[&str]) -> &'p str {
    let len = segments.iter().map(|s| s.len() + 1).sum::<usize>();
    match path.get(..len.saturating_sub(1)) {
        Some("") | None => ".",
        Some(p) => p,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn install_targets_group_by_install_root() {
        let cases = [
            (
                "app/venv/lib/python3.11/site-packages/certifi-2018.4.16.dist-info/METADATA",
                "app/venv/lib/python3.11/site-packages",
            ),
            (
                "usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
                "usr/lib/python3/dist-packages",
            ),
            ("app/web/node_modules/lodash/package.json", "app/web"),
            (
                "app/web/node_modules/a/node_modules/@s/b/package.json",
                "app/web",
            ),
            ("app/web/package.json", "app/web"),
            ("node_modules/x/package.json", "."),
            ("package.json", "."),
            ("app/poetry.lock", "app/poetry.lock"),
            ("opt/app/lib/guava-31.jar", "opt/app/lib/guava-31.jar"),
        ];
        for (path, want) in cases {
            assert_eq!(install_target(path), want, "{path}");
        }
    }
}
