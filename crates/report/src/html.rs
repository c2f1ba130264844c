//! One self-contained HTML page: inline CSS, inline SVG charts, no scripts and no external
//! assets, so it can be archived as a CI artifact or mailed and still open anywhere.
//!
//! Sections: the artifact, a summary (finding counts, a severity donut and bars for the
//! vulnerabilities), vulnerabilities per target (each with its explanation folded in a
//! `<details>`, which needs no script), secrets, misconfigurations, policy verdicts, the
//! package list (with [`Report::list_packages`]) and warnings. Every string from the image,
//! the advisories or the caller is HTML-escaped; control characters and bidi overrides are
//! spelled out.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use kabuto_types::text::push_visible;
use kabuto_types::{ArtifactKind, Finding, Package, Severity};

use crate::artifact::image_digest;
use crate::findings::{SeverityCounts, severity_label, status_label, web_url};
use crate::table::misconfig_location;
use crate::target::Target;
use crate::{PolicyOutcome, RenderOptions, Report, TOOL_NAME, TOOL_VERSION, short_digest};

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;color:#1f2328;background:#f6f8fa}
main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
h3{font-size:15px;margin:20px 0 6px;font-family:ui-monospace,monospace}
.meta{color:#57606a;margin:0}.meta code{color:#1f2328}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:10px 16px;min-width:130px}
.card b{display:block;font-size:22px}
.charts{display:flex;flex-wrap:wrap;gap:24px;align-items:center;background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px}
table{border-collapse:collapse;width:100%;background:#fff;margin:6px 0 12px}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#eaeef2}td.v{font-family:ui-monospace,monospace;white-space:nowrap}
.sev{display:inline-block;padding:0 6px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.critical{background:#b60205}.high{background:#d9480f}.medium{background:#b8860b}.low{background:#1f6feb}.none{background:#8c959f}.unknown{background:#57606a}
.ack{color:#57606a;font-style:italic;white-space:normal;font-family:system-ui,sans-serif}.pass{color:#1a7f37;font-weight:600}.fail{color:#b60205;font-weight:600}.audit{color:#9a6700;font-weight:600}
details summary{cursor:pointer;color:#0969da}details ul{margin:4px 0;padding-left:18px}
footer{color:#57606a;margin-top:32px;font-size:12px}
";

pub(crate) fn write(
    report: &Report<'_>,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut page = String::new();
    // Writing into a String cannot fail.
    let _ = render(report, options, &mut page);
    out.write_all(page.as_bytes())
}

fn render(report: &Report<'_>, options: &RenderOptions, page: &mut String) -> std::fmt::Result {
    let inventory = report.inventory;
    let name = esc(&inventory.artifact.name);
    writeln!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">"
    )?;
    writeln!(
        page,
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
    )?;
    writeln!(
        page,
        "<title>{TOOL_NAME} report: {name}</title>\n<style>{STYLE}</style>\n</head>"
    )?;
    writeln!(page, "<body>\n<main>\n<h1>{name}</h1>")?;
    let kind = match inventory.artifact.kind {
        ArtifactKind::ContainerImage => "container image",
        ArtifactKind::Rootfs => "root filesystem",
        ArtifactKind::Filesystem => "filesystem",
    };
    write!(page, "<p class=\"meta\">{kind}")?;
    if let Some(digest) = inventory.image.as_ref().and_then(image_digest) {
        write!(page, " · <code>{}</code>", esc(digest.as_str()))?;
    }
    if let Some(os) = &inventory.os {
        write!(page, " · {} {}", os.family, esc(&os.version))?;
    }
    writeln!(page, " · {} packages</p>", inventory.packages.len())?;

    summary(report, page)?;
    if let Some(findings) = report.vulnerabilities {
        vulnerabilities(report, findings, page)?;
    }
    if let Some(secrets) = report.secrets {
        writeln!(page, "<h2 id=\"secrets\">Secrets</h2>")?;
        if secrets.is_empty() {
            writeln!(page, "<p>No secrets found.</p>")?;
        } else {
            writeln!(
                page,
                "<table>\n<tr><th>Rule</th><th>Severity</th><th>Location</th><th>Match</th><th>Layer</th></tr>"
            )?;
            for s in secrets {
                writeln!(
                    page,
                    "<tr><td class=\"v\">{}</td><td>{}</td><td class=\"v\">{}:{}</td><td><code>{}</code><br>{}</td><td class=\"v\">{}</td></tr>",
                    esc(s.rule_id.as_str()),
                    badge(s.severity),
                    esc(&s.path),
                    s.line,
                    esc(&s.redacted_match),
                    esc(&s.title),
                    s.layer_diff_id.as_ref().map_or("", short_digest)
                )?;
            }
            writeln!(page, "</table>")?;
        }
    }
    if let Some(misconfigs) = report.misconfigs {
        writeln!(page, "<h2 id=\"misconfigurations\">Misconfigurations</h2>")?;
        if misconfigs.is_empty() {
            writeln!(page, "<p>No misconfigurations found.</p>")?;
        } else {
            writeln!(
                page,
                "<table>\n<tr><th>Check</th><th>Severity</th><th>Location</th><th>Finding</th></tr>"
            )?;
            for m in misconfigs {
                let resource = m
                    .resource
                    .as_deref()
                    .map(|r| format!("<br>Resource: {}", esc(r)))
                    .unwrap_or_default();
                writeln!(
                    page,
                    "<tr><td class=\"v\">{}</td><td>{}</td><td class=\"v\">{}</td><td><b>{}</b><br>{}{resource}<details><summary>Why and how to fix</summary><p>{}</p><p>{}</p></details></td></tr>",
                    esc(m.check_id.as_str()),
                    badge(m.severity),
                    esc(&misconfig_location(m)),
                    esc(&m.title),
                    esc(&m.message),
                    esc(&m.description),
                    esc(&m.remediation)
                )?;
            }
            writeln!(page, "</table>")?;
        }
    }
    if !report.policies.is_empty() {
        writeln!(page, "<h2 id=\"policies\">Policies</h2>")?;
        for policy in report.policies {
            let class = match policy.outcome {
                PolicyOutcome::Passed => "pass",
                PolicyOutcome::Failed => "fail",
                PolicyOutcome::Audit => "audit",
            };
            writeln!(
                page,
                "<h3>{} <span class=\"{class}\">{}</span></h3>",
                esc(&policy.name),
                policy.outcome.as_str().to_ascii_uppercase()
            )?;
            writeln!(
                page,
                "<table>\n<tr><th>Control</th><th>Result</th><th>Details</th></tr>"
            )?;
            for control in &policy.failed {
                let items: String = control
                    .items
                    .iter()
                    .map(|i| format!("<li>{}</li>", esc(i)))
                    .collect();
                writeln!(
                    page,
                    "<tr><td class=\"v\">{}</td><td class=\"{class}\">failed</td><td>{}<ul>{items}</ul></td></tr>",
                    esc(&control.id),
                    esc(&control.message)
                )?;
            }
            for id in &policy.passed {
                writeln!(
                    page,
                    "<tr><td class=\"v\">{}</td><td class=\"pass\">passed</td><td></td></tr>",
                    esc(id)
                )?;
            }
            writeln!(page, "</table>")?;
        }
    }
    if report.list_packages {
        packages(report, page)?;
    }
    if !inventory.warnings.is_empty() {
        writeln!(page, "<h2 id=\"warnings\">Warnings</h2>\n<ul>")?;
        for w in &inventory.warnings {
            writeln!(
                page,
                "<li><code>{}</code>: {}</li>",
                esc(&w.location),
                esc(&w.message)
            )?;
        }
        writeln!(page, "</ul>")?;
    }
    writeln!(
        page,
        "<footer>Generated by {TOOL_NAME} {TOOL_VERSION} at {}.</footer>\n</main>\n</body>\n</html>",
        options.timestamp()
    )
}

fn summary(report: &Report<'_>, page: &mut String) -> std::fmt::Result {
    writeln!(
        page,
        "<h2 id=\"summary\">Summary</h2>\n<div class=\"cards\">"
    )?;
    let mut card = |label: &str, value: String| {
        writeln!(page, "<div class=\"card\"><b>{value}</b>{label}</div>")
    };
    if let Some(v) = report.vulnerabilities {
        card("vulnerabilities", v.len().to_string())?;
        let acknowledged = v
            .iter()
            .filter(|f| report.acknowledgement_for(f).is_some())
            .count();
        if acknowledged > 0 {
            card("acknowledged", acknowledged.to_string())?;
        }
    }
    if let Some(s) = report.secrets {
        card("secrets", s.len().to_string())?;
    }
    if let Some(m) = report.misconfigs {
        card("misconfigurations", m.len().to_string())?;
    }
    if !report.policies.is_empty() {
        let failed = report
            .policies
            .iter()
            .filter(|p| p.outcome == PolicyOutcome::Failed)
            .count();
        card(
            "policies failed",
            format!("{failed} of {}", report.policies.len()),
        )?;
    }
    writeln!(page, "</div>")?;
    if let Some(findings) = report.vulnerabilities.filter(|f| !f.is_empty()) {
        let counts = SeverityCounts::of(findings.iter().map(|f| f.severity));
        writeln!(page, "<div class=\"charts\">")?;
        donut(&counts, page)?;
        bars(&counts, page)?;
        writeln!(page, "</div>")?;
    }
    Ok(())
}

/// Most severe first, as the charts list them.
const CHART_ORDER: [Severity; 6] = [
    Severity::Critical,
    Severity::High,
    Severity::Medium,
    Severity::Low,
    Severity::None,
    Severity::Unknown,
];

fn color(severity: Severity) -> &'static str {
    match severity {
        Severity::Critical => "#b60205",
        Severity::High => "#d9480f",
        Severity::Medium => "#b8860b",
        Severity::Low => "#1f6feb",
        Severity::None => "#8c959f",
        Severity::Unknown => "#57606a",
    }
}

/// A ring whose arcs are the severities' shares; the radius makes the circumference 100, so
/// each arc's dash length is its percentage.
fn donut(counts: &SeverityCounts, page: &mut String) -> std::fmt::Result {
    let total = counts.total().max(1) as f64;
    writeln!(
        page,
        "<svg width=\"160\" height=\"160\" viewBox=\"0 0 42 42\" role=\"img\" aria-label=\"vulnerabilities by severity\">"
    )?;
    writeln!(
        page,
        "<circle cx=\"21\" cy=\"21\" r=\"15.9155\" fill=\"none\" stroke=\"#eaeef2\" stroke-width=\"6\"/>"
    )?;
    let mut start = 0.0;
    for severity in CHART_ORDER {
        let share = counts.get(severity) as f64 * 100.0 / total;
        if share > 0.0 {
            // Arcs start at 12 o'clock (offset 25) and go clockwise.
            writeln!(
                page,
                "<circle cx=\"21\" cy=\"21\" r=\"15.9155\" fill=\"none\" stroke=\"{}\" stroke-width=\"6\" stroke-dasharray=\"{share:.3} {:.3}\" stroke-dashoffset=\"{:.3}\"><title>{}: {}</title></circle>",
                color(severity),
                100.0 - share,
                25.0 - start,
                severity_label(severity),
                counts.get(severity)
            )?;
        }
        start += share;
    }
    writeln!(
        page,
        "<text x=\"21\" y=\"23.5\" text-anchor=\"middle\" font-size=\"8\" font-weight=\"700\">{}</text>\n</svg>",
        counts.total()
    )
}

/// Horizontal bars, one per severity, scaled to the largest count.
fn bars(counts: &SeverityCounts, page: &mut String) -> std::fmt::Result {
    let largest = CHART_ORDER
        .iter()
        .map(|s| counts.get(*s))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let row = 24;
    writeln!(
        page,
        "<svg width=\"420\" height=\"{}\" role=\"img\" aria-label=\"vulnerability counts by severity\">",
        row * CHART_ORDER.len()
    )?;
    for (i, severity) in CHART_ORDER.into_iter().enumerate() {
        let y = i * row;
        let count = counts.get(severity);
        let width = count as f64 * 260.0 / largest;
        writeln!(
            page,
            "<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"90\" y=\"{}\" width=\"{width:.1}\" height=\"16\" rx=\"2\" fill=\"{}\"/><text x=\"{:.1}\" y=\"{}\" font-size=\"12\">{count}</text>",
            y + 16,
            severity_label(severity),
            y + 4,
            color(severity),
            96.0 + width,
            y + 16
        )?;
    }
    writeln!(page, "</svg>")
}

fn vulnerabilities(
    report: &Report<'_>,
    findings: &[Finding],
    page: &mut String,
) -> std::fmt::Result {
    writeln!(page, "<h2 id=\"vulnerabilities\">Vulnerabilities</h2>")?;
    if findings.is_empty() {
        return writeln!(page, "<p>No vulnerabilities found.</p>");
    }
    let os = report.inventory.os.as_ref();
    let mut groups: BTreeMap<Target, Vec<&Finding>> = BTreeMap::new();
    for f in findings {
        groups
            .entry(Target::of(os, f.ecosystem, &f.locations))
            .or_default()
            .push(f);
    }
    for (target, findings) in groups {
        let counts = SeverityCounts::of(findings.iter().map(|f| f.severity));
        writeln!(
            page,
            "<h3>{}</h3>\n<p>{}</p>",
            esc(&target.title()),
            counts.total_line()
        )?;
        writeln!(
            page,
            "<table>\n<tr><th>Library</th><th>Vulnerability</th><th>Severity</th><th>Status</th><th>Installed</th><th>Fixed</th><th>Title</th></tr>"
        )?;
        for f in findings {
            let id = match f.references.iter().find_map(|r| web_url(r)) {
                Some(url) => format!("<a href=\"{}\">{}</a>", esc(url), esc(f.id.as_str())),
                None => esc(f.id.as_str()),
            };
            let ack = report
                .acknowledgement_for(f)
                .map(|a| {
                    let reason = a
                        .reason
                        .as_deref()
                        .map(|r| format!(": {}", esc(r)))
                        .unwrap_or_default();
                    format!("<br><span class=\"ack\">{}{reason}</span>", a.state)
                })
                .unwrap_or_default();
            let kev = if f.kev.is_some() {
                " <span class=\"fail\" title=\"in CISA's Known Exploited Vulnerabilities catalog\">KEV</span>"
            } else {
                ""
            };
            writeln!(
                page,
                "<tr><td>{}</td><td class=\"v\">{id}{kev}{ack}</td><td>{}</td><td>{}</td><td class=\"v\">{}</td><td class=\"v\">{}</td><td>{}{}</td></tr>",
                esc(&f.package_name),
                badge(f.severity),
                status_label(f.status),
                esc(&f.installed_version),
                esc(&f.fixed_versions.join(", ")),
                esc(f.title.as_deref().unwrap_or_default()),
                explanation(f)
            )?;
        }
        writeln!(page, "</table>")?;
    }
    Ok(())
}

/// Why the finding was reported, folded.
fn explanation(f: &Finding) -> String {
    let mut lines: Vec<String> = f
        .explanations
        .iter()
        .map(|e| {
            format!(
                "<li>{} ({}): affected {}; matched {}</li>",
                esc(e.advisory.as_str()),
                esc(&e.ecosystem_key),
                esc(&e.affected_range),
                esc(&e.comparison)
            )
        })
        .collect();
    if let Some(source) = &f.severity_source {
        lines.push(format!("<li>severity: {}</li>", esc(source)));
    }
    if let Some(kev) = &f.kev {
        lines.push(format!(
            "<li>known exploited: in CISA's KEV catalog since {}</li>",
            esc(&kev.date_added)
        ));
    }
    if let Some(epss) = f.epss {
        lines.push(format!(
            "<li>EPSS: {:.2}% chance of exploitation in 30 days ({:.0}th percentile)</li>",
            epss.score * 100.0,
            epss.percentile * 100.0
        ));
    }
    if let Some(location) = f.locations.first() {
        lines.push(format!(
            "<li>found in <code>{}</code></li>",
            esc(&location.path)
        ));
    }
    if lines.is_empty() {
        return String::new();
    }
    format!(
        "<details><summary>why</summary><ul>{}</ul></details>",
        lines.concat()
    )
}

fn packages(report: &Report<'_>, page: &mut String) -> std::fmt::Result {
    let inventory = report.inventory;
    writeln!(page, "<h2 id=\"packages\">Packages</h2>")?;
    if inventory.packages.is_empty() {
        return writeln!(page, "<p>No packages found.</p>");
    }
    let mut groups: BTreeMap<Target, Vec<&Package>> = BTreeMap::new();
    for p in &inventory.packages {
        groups
            .entry(Target::of(inventory.os.as_ref(), p.ecosystem, &p.locations))
            .or_default()
            .push(p);
    }
    for (target, packages) in groups {
        writeln!(
            page,
            "<h3>{} — {}</h3>",
            esc(&target.title()),
            packages.len()
        )?;
        writeln!(
            page,
            "<table>\n<tr><th>Name</th><th>Version</th><th>License</th><th>Purl</th></tr>"
        )?;
        for p in packages {
            writeln!(
                page,
                "<tr><td>{}</td><td class=\"v\">{}</td><td>{}</td><td class=\"v\">{}</td></tr>",
                esc(&p.name),
                esc(&p.version),
                esc(&p.licenses.join(", ")),
                esc(&p.purl.to_string())
            )?;
        }
        writeln!(page, "</table>")?;
    }
    Ok(())
}

fn badge(severity: Severity) -> String {
    format!(
        "<span class=\"sev {}\">{}</span>",
        severity.as_str(),
        severity_label(severity)
    )
}

/// Escapes text for element content and double- or single-quoted attributes.
fn esc(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            '\n' | '\t' => escaped.push(c),
            c => push_visible(&mut escaped, c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(
            esc("<a href='x'>\"&\u{1b}</a>"),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;\\u{1b}&lt;/a&gt;"
        );
    }
}
