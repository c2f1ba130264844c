//! The human table: a short header about the artifact, then sections Trivy style.
//!
//! Targets group packages and findings: OS packages form one target titled
//! `<os> <version> (<ecosystem>)`, e.g. `debian 12.15 (deb)`. Language packages are grouped
//! by where they are installed or declared, titled `<target> (<ecosystem>)`: installed Python
//! distributions by the directory holding their `.dist-info`/`.egg-info` directory
//! (`app/venv/lib/python3.11/site-packages`); `node_modules` trees by the project directory
//! above the first `node_modules` (`app/web`); anything else (lockfiles, jars, binaries) by
//! the file itself. OS targets come first, then by path.
//!
//! 1. Packages (only when [`Report::list_packages`]): one section per target, columns name,
//!    version, source (OS sections only), licence, and layer (the first 12 hex digits of the
//!    diff id; images only).
//! 2. Vulnerabilities, one section per target titled `Vulnerabilities: <target>`, with Trivy's
//!    columns (Library, Vulnerability, Severity, Status, Installed Version, Fixed Version,
//!    Title) and its `Total: N (UNKNOWN: a, LOW: b, MEDIUM: c, HIGH: d, CRITICAL: e)` line.
//!    An acknowledged finding's status is the decision (`acknowledged`, `not_affected`,
//!    `false_positive`, `in_triage`) instead of the fix status. With
//!    [`Report::explain`], each table is followed by why each finding was reported.
//! 3. Secrets (rule, severity, `file:line`, redacted match, layer), then misconfigurations
//!    (check, severity, location, resource, title, message).
//! 4. Policy verdicts: each policy's outcome, every failed control with its message and items.
//! 5. Warnings from the scan.
//!
//! A finding kind that was not scanned has no section; one scanned with no result says so.
//! When [`crate::RenderOptions::table_width`] is set, the widest columns are cut with `…`
//! until the table fits. Control characters and bidi overrides from package metadata and
//! findings are escaped ([`kabuto_types::text`]) so a hostile image cannot send terminal
//! escape sequences.

use std::collections::BTreeMap;
use std::io::{self, Write};

use kabuto_types::text::terminal_safe as clean;
use kabuto_types::{
    ArtifactKind, Digest, Finding, Inventory, MalwareFinding, MisconfigFinding, Package,
    SecretFinding, Severity,
};

use crate::artifact::image_digest;
use crate::findings::{SeverityCounts, ack_status_label, severity_label, status_label};
use crate::target::Target;
use crate::{PolicySummary, RenderOptions, Report, short_digest};

pub(crate) fn write(
    report: &Report<'_>,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let inventory = report.inventory;
    write_header(inventory, out)?;
    if report.list_packages {
        write_packages(inventory, options, out)?;
    }
    if let Some(findings) = report.vulnerabilities {
        write_vulnerabilities(report, findings, options, out)?;
    }
    if let Some(findings) = report.secrets {
        write_secrets(findings, inventory.image.is_some(), options, out)?;
    }
    if let Some(findings) = report.misconfigs {
        write_misconfigs(findings, options, out)?;
    }
    if let Some(findings) = report.malware {
        write_malware(findings, options, out)?;
    }
    if !report.policies.is_empty() {
        write_policies(report.policies, out)?;
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

/// A section title underlined with `=`.
fn write_title(title: &str, out: &mut dyn Write) -> io::Result<()> {
    let title = clean(title);
    writeln!(out)?;
    writeln!(out, "{title}")?;
    writeln!(out, "{}", "=".repeat(title.chars().count()))
}

fn write_packages(
    inventory: &Inventory,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut groups: BTreeMap<Target, Vec<&Package>> = BTreeMap::new();
    for package in &inventory.packages {
        let target = Target::of(inventory.os.as_ref(), package.ecosystem, &package.locations);
        groups.entry(target).or_default().push(package);
    }
    if groups.is_empty() {
        writeln!(out, "\nNo packages found.")?;
    }
    let with_layer = inventory.image.is_some();
    for (target, packages) in &groups {
        write_title(&target.title(), out)?;
        writeln!(out, "Total: {}", packages.len())?;
        writeln!(out)?;
        let table = package_table(packages, target.is_os(), with_layer);
        table.write(options.table_width, out)?;
    }
    Ok(())
}

fn write_vulnerabilities(
    report: &Report<'_>,
    findings: &[Finding],
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    if findings.is_empty() {
        return writeln!(out, "\nNo vulnerabilities found.");
    }
    let os = report.inventory.os.as_ref();
    let mut groups: BTreeMap<Target, Vec<&Finding>> = BTreeMap::new();
    for finding in findings {
        let target = Target::of(os, finding.ecosystem, &finding.locations);
        groups.entry(target).or_default().push(finding);
    }
    for (target, findings) in &groups {
        write_title(&format!("Vulnerabilities: {}", target.title()), out)?;
        let counts = SeverityCounts::of(findings.iter().map(|f| f.severity));
        writeln!(out, "{}", counts.total_line())?;
        let acknowledged = findings
            .iter()
            .filter(|f| report.acknowledgement_for(f).is_some())
            .count();
        if acknowledged > 0 {
            writeln!(out, "Acknowledged: {acknowledged}")?;
        }
        writeln!(out)?;
        vulnerability_table(report, findings).write(options.table_width, out)?;
        if report.explain {
            write_explanations(report, findings, out)?;
        }
    }
    Ok(())
}

fn vulnerability_table(report: &Report<'_>, findings: &[&Finding]) -> Table {
    let headers = vec![
        ("Library", 2),
        ("Vulnerability", 4),
        ("Severity", 5),
        ("Status", 1),
        ("Installed Version", 3),
        ("Fixed Version", 3),
        ("Title", 0),
    ];
    let rows = findings
        .iter()
        .map(|f| {
            let status = match report.acknowledgement_for(f) {
                Some(ack) => ack_status_label(ack.state),
                None => status_label(f.status),
            };
            // Known exploitation is what a reader should see first.
            let id = match f.kev {
                Some(_) => format!("{} (KEV)", f.id),
                None => f.id.to_string(),
            };
            vec![
                f.package_name.clone(),
                id,
                severity_label(f.severity),
                status.to_owned(),
                f.installed_version.clone(),
                f.fixed_versions.join(", "),
                f.title.as_deref().unwrap_or_default().to_owned(),
            ]
        })
        .collect();
    Table { headers, rows }
}

/// Why each finding was reported: one block per finding, one line per advisory record.
fn write_explanations(
    report: &Report<'_>,
    findings: &[&Finding],
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out)?;
    for f in findings {
        let place = f.locations.first().map(|l| format!(" at {}", l.path));
        writeln!(
            out,
            "{} in {} {}{}",
            clean(f.id.as_str()),
            clean(&f.package_name),
            clean(&f.installed_version),
            clean(&place.unwrap_or_default())
        )?;
        for e in f.explanations.iter() {
            writeln!(
                out,
                "  - advisory {} ({}): affected {}; matched {}",
                clean(e.advisory.as_str()),
                clean(&e.ecosystem_key),
                clean(&e.affected_range),
                clean(&e.comparison)
            )?;
        }
        if let Some(source) = &f.severity_source {
            writeln!(
                out,
                "  - severity {}: {}",
                severity_label(f.severity),
                clean(source)
            )?;
        }
        if f.vendor_severity.len() > 1 {
            let ratings: Vec<String> = f
                .vendor_severity
                .iter()
                .map(|(vendor, severity)| format!("{vendor} {severity}"))
                .collect();
            writeln!(out, "  - ratings: {}", clean(&ratings.join(", ")))?;
        }
        if let Some(kev) = &f.kev {
            let ransomware = if kev.ransomware {
                ", used in ransomware campaigns"
            } else {
                ""
            };
            writeln!(
                out,
                "  - known exploited: in CISA's KEV catalog since {}{ransomware}",
                clean(&kev.date_added)
            )?;
        }
        if let Some(epss) = f.epss {
            writeln!(
                out,
                "  - EPSS: {:.2}% chance of exploitation in 30 days ({:.0}th percentile)",
                epss.score * 100.0,
                epss.percentile * 100.0
            )?;
        }
        if let Some(ack) = report.acknowledgement_for(f) {
            let reason = ack.reason.as_deref().map(|r| format!(": {r}"));
            writeln!(
                out,
                "  - {}{}",
                ack.state,
                clean(&reason.unwrap_or_default())
            )?;
        }
    }
    Ok(())
}

/// One findings section: the "none found" line, or a title, the severity totals and a table.
/// Secrets, malware and misconfigurations share this shape; only their columns differ.
fn write_findings_section(
    title: &str,
    severities: impl Iterator<Item = Severity>,
    headers: Vec<(&'static str, u8)>,
    rows: Vec<Vec<String>>,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    if rows.is_empty() {
        return writeln!(out, "\nNo {} found.", title.to_lowercase());
    }
    write_title(title, out)?;
    writeln!(out, "{}", SeverityCounts::of(severities).total_line())?;
    writeln!(out)?;
    Table { headers, rows }.write(options.table_width, out)
}

fn layer_cell(layer: Option<&Digest>) -> String {
    layer.map_or_else(String::new, |d| short_digest(d).to_owned())
}

fn write_secrets(
    findings: &[SecretFinding],
    with_layer: bool,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut headers = vec![("Rule", 3), ("Severity", 4), ("Location", 2), ("Match", 1)];
    if with_layer {
        headers.push(("Layer", 3));
    }
    let rows = findings
        .iter()
        .map(|f| {
            let mut row = vec![
                f.rule_id.to_string(),
                severity_label(f.severity),
                format!("{}:{}", f.path, f.line),
                f.redacted_match.clone(),
            ];
            if with_layer {
                row.push(layer_cell(f.layer_diff_id.as_ref()));
            }
            row
        })
        .collect();
    let severities = findings.iter().map(|f| f.severity);
    write_findings_section("Secrets", severities, headers, rows, options, out)
}

fn write_malware(
    findings: &[MalwareFinding],
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let headers = vec![
        ("Rule", 3),
        ("Severity", 4),
        ("File", 2),
        ("SHA-256", 1),
        ("Layer", 3),
    ];
    let rows = findings
        .iter()
        .map(|f| {
            vec![
                f.rule.to_string(),
                severity_label(f.severity),
                f.path.clone(),
                short_digest(&f.sha256).to_owned(),
                layer_cell(f.layer_diff_id.as_ref()),
            ]
        })
        .collect();
    let severities = findings.iter().map(|f| f.severity);
    write_findings_section("Malware", severities, headers, rows, options, out)
}

fn write_misconfigs(
    findings: &[MisconfigFinding],
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let headers = vec![
        ("Check", 4),
        ("Severity", 5),
        ("Location", 3),
        ("Resource", 2),
        ("Title", 1),
        ("Message", 0),
    ];
    let rows = findings
        .iter()
        .map(|f| {
            vec![
                f.check_id.to_string(),
                severity_label(f.severity),
                misconfig_location(f),
                f.resource.clone().unwrap_or_default(),
                f.title.clone(),
                f.message.clone(),
            ]
        })
        .collect();
    let severities = findings.iter().map(|f| f.severity);
    write_findings_section("Misconfigurations", severities, headers, rows, options, out)
}

/// `Dockerfile:3` or `Dockerfile:3-5`, or the bare path when no line is known.
pub(crate) fn misconfig_location(f: &MisconfigFinding) -> String {
    match f.lines {
        Some(l) if l.start == l.end => format!("{}:{}", f.path, l.start),
        Some(l) => format!("{}:{}-{}", f.path, l.start, l.end),
        None => f.path.clone(),
    }
}

fn write_policies(policies: &[PolicySummary], out: &mut dyn Write) -> io::Result<()> {
    write_title("Policies", out)?;
    for policy in policies {
        let total = policy.failed.len() + policy.passed.len();
        writeln!(
            out,
            "{}: {} ({} of {total} controls failed)",
            clean(&policy.name),
            policy.outcome.as_str().to_ascii_uppercase(),
            policy.failed.len()
        )?;
        for control in &policy.failed {
            writeln!(
                out,
                "  ✗ {}: {}",
                clean(&control.id),
                clean(&control.message)
            )?;
            for item in &control.items {
                writeln!(out, "      - {}", clean(item))?;
            }
        }
        if !policy.passed.is_empty() {
            let passed: Vec<_> = policy.passed.iter().map(|p| clean(p)).collect();
            writeln!(out, "  ✓ passed: {}", passed.join(", "))?;
        }
    }
    Ok(())
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
            .map(|r| r.iter().map(|c| clean(c).into_owned()).collect())
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

#[cfg(test)]
mod tests {
    use super::*;

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
