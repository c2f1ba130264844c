//! The human table: a short header about the artifact, then one section per target, Trivy
//! style.
//!
//! Targets: OS packages form one section titled `<os> <version> (<ecosystem>)`, e.g.
//! `debian 12.15 (deb)`. Language packages are grouped by where they are installed or
//! declared, titled `<target> (<ecosystem>)`:
//!
//! - installed Python distributions (`.../site-packages/x.dist-info/METADATA`, `.egg-info`):
//!   the directory holding the metadata directory (`app/venv/lib/python3.11/site-packages`);
//! - `node_modules` trees: the project directory above the first `node_modules`, which is
//!   also where the project's own `package.json` lives (`app/web`);
//! - anything else (lockfiles, jars, binaries): the file itself.
//!
//! OS sections come first, then targets by path. Columns are name, version, source (OS
//! sections only), licence, and layer (the first 12 hex digits of the diff id; images only).
//! When [`crate::RenderOptions::table_width`] is set, the widest columns are cut with `…`
//! until the table fits. Control characters from package metadata are escaped so a hostile
//! image cannot send terminal escape sequences.

use std::collections::BTreeMap;
use std::io::{self, Write};

use kabuto_types::{ArtifactKind, Ecosystem, Inventory, Package};

use crate::artifact::image_digest;
use crate::{RenderOptions, Report, short_digest};

pub(crate) fn write(
    report: &Report<'_>,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let inventory = report.inventory;
    write_header(inventory, out)?;
    let sections = sections(inventory);
    if sections.is_empty() {
        writeln!(out, "\nNo packages found.")?;
    }
    let with_layer = inventory.image.is_some();
    for section in &sections {
        let title = clean(&section.title);
        writeln!(out)?;
        writeln!(out, "{title}")?;
        writeln!(out, "{}", "=".repeat(title.chars().count()))?;
        writeln!(out, "Total: {}", section.packages.len())?;
        writeln!(out)?;
        let table = package_table(&section.packages, section.is_os, with_layer);
        table.write(options.table_width, out)?;
    }
    if !inventory.warnings.is_empty() {
        writeln!(out, "\nWarnings ({}):", inventory.warnings.len())?;
        for warning in &inventory.warnings {
            writeln!(
                out,
                "  - {}: {}",
                clean(&warning.location),
                clean(&warning.message)
            )?;
        }
    }
    Ok(())
}

fn write_header(inventory: &Inventory, out: &mut dyn Write) -> io::Result<()> {
    let kind = match inventory.artifact.kind {
        ArtifactKind::ContainerImage => "container image",
        ArtifactKind::Rootfs => "root filesystem",
        ArtifactKind::Filesystem => "filesystem",
    };
    writeln!(
        out,
        "Artifact: {} ({kind})",
        clean(&inventory.artifact.name)
    )?;
    if let Some(image) = &inventory.image {
        if let Some(digest) = image_digest(image) {
            writeln!(out, "Digest:   {digest}")?;
        }
        writeln!(out, "Layers:   {}", image.layers.len())?;
    }
    if let Some(os) = &inventory.os {
        writeln!(out, "OS:       {} {}", os.family, clean(&os.version))?;
    }
    writeln!(out, "Packages: {}", inventory.packages.len())
}

struct Section<'a> {
    title: String,
    is_os: bool,
    packages: Vec<&'a Package>,
}

fn sections(inventory: &Inventory) -> Vec<Section<'_>> {
    // Key: (OS first, target, ecosystem) keeps the order described in the module docs.
    let mut groups: BTreeMap<(bool, String, Ecosystem), Vec<&Package>> = BTreeMap::new();
    for package in &inventory.packages {
        let target = if package.ecosystem.is_os() {
            match &inventory.os {
                Some(os) => format!("{} {}", os.family, os.version),
                None => "OS packages".to_owned(),
            }
        } else {
            package
                .locations
                .first()
                .map_or_else(String::new, |l| install_target(&l.path).to_owned())
        };
        groups
            .entry((!package.ecosystem.is_os(), target, package.ecosystem))
            .or_default()
            .push(package);
    }
    groups
        .into_iter()
        .map(|((is_lang, target, ecosystem), packages)| Section {
            title: format!("{target} ({ecosystem})"),
            is_os: !is_lang,
            packages,
        })
        .collect()
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

fn package_table(packages: &[&Package], is_os: bool, with_layer: bool) -> Table {
    // Shrink ranks: free text goes first, identifiers last (a cut version is useless).
    let mut headers = vec![("Name", 1), ("Version", 2)];
    if is_os {
        headers.push(("Source", 0));
    }
    headers.push(("License", 0));
    if with_layer {
        headers.push(("Layer", 3));
    }
    let rows = packages
        .iter()
        .map(|p| {
            let mut row = vec![p.name.clone(), p.version.clone()];
            if is_os {
                row.push(match &p.source {
                    Some(s) if s.version != p.version => format!("{} {}", s.name, s.version),
                    Some(s) => s.name.clone(),
                    None => String::new(),
                });
            }
            row.push(p.licenses.join(", "));
            if with_layer {
                let layer = p.locations.iter().find_map(|l| l.layer.as_ref());
                row.push(layer.map_or_else(String::new, |d| short_digest(d).to_owned()));
            }
            row
        })
        .collect();
    Table { headers, rows }
}

/// A box-drawn table whose cells are single lines. Each header comes with its shrink rank:
/// when the table is too wide, columns of lower rank are cut first.
struct Table {
    headers: Vec<(&'static str, u8)>,
    rows: Vec<Vec<String>>,
}

/// No column is cut narrower than this (or its header), however small the terminal.
const MIN_COLUMN_WIDTH: usize = 6;

impl Table {
    fn write(&self, max_width: Option<usize>, out: &mut dyn Write) -> io::Result<()> {
        let rows: Vec<Vec<String>> = self
            .rows
            .iter()
            .map(|r| r.iter().map(|c| clean(c)).collect())
            .collect();
        let mut widths: Vec<usize> = self
            .headers
            .iter()
            .map(|(h, _)| h.chars().count())
            .collect();
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        if let Some(max) = max_width {
            self.fit(&mut widths, max);
        }
        let rule = |left: &str, mid: &str, right: &str| {
            let parts: Vec<String> = widths.iter().map(|w| "─".repeat(w + 2)).collect();
            format!("{left}{}{right}", parts.join(mid))
        };
        let line = |cells: &mut dyn Iterator<Item = &str>| {
            let parts: Vec<String> = cells
                .zip(&widths)
                .map(|(cell, &w)| format!(" {} ", pad(&truncate(cell, w), w)))
                .collect();
            format!("│{}│", parts.join("│"))
        };
        writeln!(out, "{}", rule("┌", "┬", "┐"))?;
        writeln!(out, "{}", line(&mut self.headers.iter().map(|(h, _)| *h)))?;
        writeln!(out, "{}", rule("├", "┼", "┤"))?;
        for row in &rows {
            writeln!(out, "{}", line(&mut row.iter().map(String::as_str)))?;
        }
        writeln!(out, "{}", rule("└", "┴", "┘"))
    }

    /// Narrows the widest column of the lowest shrink rank, one character at a time, until
    /// the table fits `max` or every column is at its minimum.
    fn fit(&self, widths: &mut [usize], max: usize) {
        // Borders and padding: "│ " before each column, " " after, and a closing "│".
        let overhead = widths.len() * 3 + 1;
        let minimums: Vec<usize> = self
            .headers
            .iter()
            .map(|(h, _)| h.chars().count().max(MIN_COLUMN_WIDTH))
            .collect();
        while widths.iter().sum::<usize>() + overhead > max {
            let next = widths
                .iter()
                .enumerate()
                .filter(|&(i, &w)| w > minimums[i])
                .min_by_key(|&(i, &w)| (self.headers[i].1, std::cmp::Reverse(w), i))
                .map(|(i, _)| i);
            match next {
                Some(i) => widths[i] -= 1,
                None => break,
            }
        }
    }
}

fn pad(text: &str, width: usize) -> String {
    let len = text.chars().count();
    format!("{text}{}", " ".repeat(width.saturating_sub(len)))
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Escapes control characters (escape sequences, newlines) so each cell stays one line and
/// nothing reaches the terminal as a command.
fn clean(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
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

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(clean("evil\u{1b}[31mred\nx"), "evil\\u{1b}[31mred\\nx");
        assert_eq!(clean("ünïcode"), "ünïcode");
    }

    #[test]
    fn narrow_terminals_cut_the_widest_columns() {
        let table = Table {
            headers: vec![("Name", 1), ("License", 0)],
            rows: vec![vec![
                "short".into(),
                "a very long licence text indeed".into(),
            ]],
        };
        let mut out = Vec::new();
        table.write(Some(30), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        for line in text.lines() {
            assert_eq!(line.chars().count(), 30, "{line}");
        }
        assert!(text.contains("a very long licen…"), "{text}");

        // A terminal too narrow for the minimums still gets whole, aligned columns.
        let mut out = Vec::new();
        table.write(Some(5), &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lengths: Vec<usize> = text.lines().map(|l| l.chars().count()).collect();
        assert!(lengths.iter().all(|&l| l == lengths[0]), "{text}");
    }
}
