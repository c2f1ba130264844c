//! One image: summary and layers, vulnerabilities (with why each matched), packages and
//! licences, secrets (redacted), malware, misconfigurations, the assurance checks, and
//! the report downloads. Long lists are paged on the server, so the page stays small.

use kabuto_api::ScanReport;
use kabuto_api::server::{ImageDetail, Page};
use kabuto_auth::Permission;
use kabuto_types::{Finding, FixStatus};
use maud::{Markup, html};

use super::images::{compliance, image_href, severity_counts};
use super::vulnerabilities::{ack_dialog, issue_json};
use crate::layout::{Nav, Viewer, page};
use crate::widgets::{ListQuery, empty, pager, severity};

/// Rows per page in the image's lists.
const PAGE_SIZE: usize = 100;

/// The parts of the image page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tab {
    Summary,
    Vulnerabilities,
    Packages,
    Secrets,
    Malware,
    Misconfigurations,
    Checks,
}

impl Tab {
    const ALL: [Tab; 7] = [
        Tab::Summary,
        Tab::Vulnerabilities,
        Tab::Packages,
        Tab::Secrets,
        Tab::Malware,
        Tab::Misconfigurations,
        Tab::Checks,
    ];

    fn key(self) -> &'static str {
        match self {
            Tab::Summary => "summary",
            Tab::Vulnerabilities => "vulnerabilities",
            Tab::Packages => "packages",
            Tab::Secrets => "secrets",
            Tab::Malware => "malware",
            Tab::Misconfigurations => "misconfigurations",
            Tab::Checks => "checks",
        }
    }

    fn label(self, report: Option<&ScanReport>) -> String {
        let n = |items: Option<usize>| items.map(|n| format!(" ({n})")).unwrap_or_default();
        let r = report;
        match self {
            Tab::Summary => "Summary".into(),
            Tab::Vulnerabilities => format!(
                "Vulnerabilities{}",
                n(r.and_then(|r| r.vulnerabilities.as_ref().map(Vec::len)))
            ),
            Tab::Packages => format!("Packages & licences{}", n(r.map(|r| r.packages.len()))),
            Tab::Secrets => format!(
                "Secrets{}",
                n(r.and_then(|r| r.secrets.as_ref().map(Vec::len)))
            ),
            Tab::Malware => format!(
                "Malware{}",
                n(r.and_then(|r| r.malware.as_ref().map(Vec::len)))
            ),
            Tab::Misconfigurations => format!(
                "Misconfigurations{}",
                n(r.and_then(|r| r.misconfigurations.as_ref().map(Vec::len)))
            ),
            Tab::Checks => "Assurance checks".into(),
        }
    }

    fn from_query(query: &ListQuery) -> Tab {
        let key = query.get("tab").unwrap_or("summary");
        Tab::ALL
            .into_iter()
            .find(|t| t.key() == key)
            .unwrap_or(Tab::Summary)
    }
}

pub fn render(
    viewer: &Viewer,
    query: &ListQuery,
    detail: &ImageDetail,
    report: Option<&ScanReport>,
) -> Markup {
    let image = &detail.summary;
    let tab = Tab::from_query(query);
    let api = format!(
        "/api/v2/images/{}",
        image_href(&image.registry, &image.repository, &image.tag)
            .trim_start_matches("/images/")
            .to_owned()
    );
    let body = html! {
        div.panel {
            dl.facts {
                dt { "Compliance" } dd { (compliance(image)) }
                dt { "Security issues" } dd { (severity_counts(image)) }
                dt { "Digest" } dd.mono { (image.digest.as_deref().unwrap_or("—")) }
                @if !detail.tags.is_empty() { dt { "Same digest" } dd.mono { (detail.tags.join(", ")) } }
                dt { "OS" } dd { (image.os.as_deref().unwrap_or("—")) }
                dt { "Scanned" } dd.mono { (image.scan_date.as_deref().unwrap_or("not yet")) }
                dt { "Vulnerability DB" } dd.mono { (image.db_version.as_deref().unwrap_or("—")) }
                dt { "Registered by" } dd { (image.registered_by) " at " span.mono { (image.registered) } }
            }
            @if report.is_some() {
                p { "Download: "
                    a href=(format!("{api}?format=cyclonedx")) download { "CycloneDX" } " · "
                    a href=(format!("{api}?format=spdx-json")) download { "SPDX" } " · "
                    a href=(format!("{api}?format=sarif")) download { "SARIF" } " · "
                    a href=(format!("{api}?format=html")) { "HTML report" } " · "
                    a href=(api) download { "JSON" }
                }
            }
        }
        nav.tabs aria-label="Parts of the image" {
            @for t in Tab::ALL {
                a href=(format!("{}?tab={}", query.path(), t.key())) aria-current=[(t == tab).then_some("page")] { (t.label(report)) }
            }
        }
        @match report {
            None => (empty("This image has not been scanned yet: it is queued when its registry is integrated, or scan it with `kabuto scan image NAME --server URL --register`.")),
            Some(report) => (tab_body(viewer, query, tab, detail, report)),
        }
    };
    page(
        viewer,
        Nav::Images,
        &format!("{}/{}", image.registry, image.name),
        body,
    )
}

fn tab_body(
    viewer: &Viewer,
    query: &ListQuery,
    tab: Tab,
    detail: &ImageDetail,
    report: &ScanReport,
) -> Markup {
    match tab {
        Tab::Summary => summary(report),
        Tab::Vulnerabilities => vulnerabilities(viewer, query, detail, report),
        Tab::Packages => packages(query, report),
        Tab::Secrets => secrets(report),
        Tab::Malware => malware(report),
        Tab::Misconfigurations => misconfigurations(report),
        Tab::Checks => checks(detail),
    }
}

fn summary(report: &ScanReport) -> Markup {
    let image = report.image.as_ref();
    let history: Vec<&str> = image
        .map(|i| {
            i.history
                .iter()
                .filter_map(|h| h.created_by.as_deref())
                .collect()
        })
        .unwrap_or_default();
    html! {
        section.panel {
            h2 { "Image" }
            dl.facts {
                dt { "Packages" } dd { (report.packages.len()) }
                @if let Some(os) = &report.os { dt { "Operating system" } dd { (os.pretty_name.clone().unwrap_or_else(|| format!("{} {}", os.family, os.version))) } }
                @if let Some(i) = image {
                    dt { "Platform" } dd { (i.os.as_deref().unwrap_or("?")) "/" (i.architecture.as_deref().unwrap_or("?")) }
                    dt { "User" } dd.mono { (i.user.as_deref().filter(|u| !u.is_empty()).unwrap_or("root (not set)")) }
                    @if !i.entrypoint.is_empty() { dt { "Entrypoint" } dd.mono { (i.entrypoint.join(" ")) } }
                    @if !i.cmd.is_empty() { dt { "Command" } dd.mono { (i.cmd.join(" ")) } }
                    @if !i.exposed_ports.is_empty() { dt { "Ports" } dd.mono { (i.exposed_ports.join(", ")) } }
                }
            }
        }
        @if let Some(i) = image {
            section.panel {
                h2 { "Layers" }
                @if i.layers.is_empty() { (empty("The source had no layer list (a directory or root filesystem scan).")) } @else {
                    div.table-wrap { table #layers {
                        thead { tr { th.num { "#" } th { "Command" } th.num { "Size" } th { "Diff id" } } }
                        tbody { @for (n, layer) in i.layers.iter().enumerate() { tr {
                            td.num { (n + 1) }
                            td.mono { (layer.created_by.as_deref().or(history.get(n).copied()).unwrap_or("—")) }
                            td.num { (layer.size.map(human_size).unwrap_or_default()) }
                            td.mono { (super::images::short_digest(layer.diff_id.as_str())) }
                        } } }
                    } }
                }
            }
        }
    }
}

fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KB", "MB", "GB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

fn fix_status(finding: &Finding) -> &'static str {
    match finding.status {
        FixStatus::Fixed => "fix available",
        FixStatus::NoFix => "no fix yet",
        FixStatus::WontFix => "will not be fixed",
    }
}

fn page_of<T>(items: Vec<T>, query: &ListQuery) -> Page<T> {
    let count = items.len() as i64;
    let pages = ((count + PAGE_SIZE as i64 - 1) / PAGE_SIZE as i64).max(1);
    let page = query
        .get("page")
        .and_then(|p| p.parse::<i64>().ok())
        .unwrap_or(1)
        .clamp(1, pages);
    let result = items
        .into_iter()
        .skip((page as usize - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    Page {
        count,
        page,
        pagesize: PAGE_SIZE as i64,
        result,
    }
}

fn vulnerabilities(
    viewer: &Viewer,
    query: &ListQuery,
    detail: &ImageDetail,
    report: &ScanReport,
) -> Markup {
    let image = &detail.summary;
    let may_ack = viewer.may(Permission::WriteAcknowledgements);
    let wanted = query.get("severity").map(str::to_ascii_lowercase);
    let search = query.get("search").map(str::to_ascii_lowercase);
    let mut found: Vec<_> = report
        .vulnerabilities
        .iter()
        .flatten()
        .filter(|v| {
            wanted
                .as_deref()
                .is_none_or(|s| v.finding.severity.to_string() == s)
        })
        .filter(|v| {
            search.as_deref().is_none_or(|s| {
                v.finding.id.as_str().to_ascii_lowercase().contains(s)
                    || v.finding.package_name.to_ascii_lowercase().contains(s)
            })
        })
        .collect();
    found.sort_by(|a, b| {
        b.finding
            .severity
            .cmp(&a.finding.severity)
            .then_with(|| a.finding.id.as_str().cmp(b.finding.id.as_str()))
    });
    let page = page_of(found, query);
    html! {
        form.filters method="get" role="search" {
            input type="hidden" name="tab" value="vulnerabilities";
            label { "Vulnerability or package" input type="search" name="search" value=[query.get("search")]; }
            label { "Severity" select name="severity" {
                option value="" { "any" }
                @for s in ["critical", "high", "medium", "low", "negligible", "unknown"] { option value=(s) selected[wanted.as_deref() == Some(s)] { (s) } }
            } }
            button type="submit" { "Filter" }
        }
        section.panel {
            @if page.result.is_empty() { (empty("No vulnerability matches.")) } @else {
                div.table-wrap { table #vulnerabilities {
                    thead { tr {
                        @if may_ack { th { input type="checkbox" data-check-all aria-label="Check every row"; } }
                        th { "Vulnerability" } th { "Severity" } th { "CVSS" } th { "Package" } th { "Installed" } th { "Fixed in" } th { "Status" } th { "Layer" }
                        @if may_ack { th {} }
                    } }
                    tbody { @for v in &page.result {
                        @let f = &v.finding;
                        @let issue = issue_json(f.id.as_str(), &f.package_name, &f.installed_version, &image.name, &image.registry);
                        tr {
                            @if may_ack { td { input type="checkbox" data-issue=(issue) aria-label=(format!("{} in {}", f.id, f.package_name)); } }
                            td.mono {
                                @match f.references.iter().find_map(|r| web_link(r)) {
                                    Some(link) => { a href=(link) rel="noreferrer noopener" target="_blank" { (f.id) } }
                                    None => { (f.id) }
                                }
                                @if let Some(title) = &f.title { br; span.muted { (title.as_ref()) } }
                                (explanation(f))
                            }
                            td { (severity(&f.severity.to_string())) }
                            td.mono { @for c in f.cvss.iter() { span title=(c.vector) { (c.score.map(|s| format!("{s:.1}")).unwrap_or_default()) " " span.muted { "v" (c.version) } } br; } }
                            td.mono { (f.package_name) }
                            td.mono { (f.installed_version) }
                            td.mono { (if f.fixed_versions.is_empty() { "—".to_owned() } else { f.fixed_versions.join(", ") }) }
                            td { (fix_status(f))
                                @if let Some(ack) = &v.acknowledgement { br; span.mark.ok { (ack.state.as_str()) } } }
                            td.mono { (f.locations.iter().find_map(|l| l.layer.as_ref()).map(|d| super::images::short_digest(d.as_str()).to_owned()).unwrap_or_default()) }
                            @if may_ack { td { button.secondary type="button" data-open="ack-dialog" data-issue=(issue) data-label=(f.id.as_str()) { "Acknowledge" } } }
                        }
                    } }
                } }
                @if may_ack { p { button type="button" data-open="ack-dialog" data-label="the checked rows" { "Acknowledge checked" } } }
                (pager(query, &page))
            }
        }
        @if may_ack { (ack_dialog(viewer)) }
    }
}

/// Why a finding was reported (`kabuto scan --explain`): each advisory record, its range
/// and the comparison that held, and where the severity came from.
fn explanation(f: &Finding) -> Markup {
    html! {
        details {
            summary { "why" }
            ul {
                @for e in f.explanations.iter() {
                    li { "advisory " (e.advisory) " (" (e.ecosystem_key) "): affected " (e.affected_range) "; matched " (e.comparison) }
                }
                @if let Some(source) = &f.severity_source { li { "severity: " (source) } }
                @for (vendor, rating) in &f.vendor_severity { li { (vendor) " rates it " (rating) } }
                @for l in &f.locations { li { "at " (l.path) } }
                @for r in f.references.iter().take(6) {
                    li { @match web_link(r) { Some(link) => { a href=(link) rel="noreferrer noopener" target="_blank" { (r) } } None => { (r) } } }
                }
            }
        }
    }
}

/// A reference that may be a link: http(s) only (an advisory's `javascript:` URL stays text).
fn web_link(reference: &str) -> Option<&str> {
    let lower = reference.get(..8).unwrap_or(reference).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://")).then_some(reference)
}

fn packages(query: &ListQuery, report: &ScanReport) -> Markup {
    let search = query.get("search").map(str::to_ascii_lowercase);
    let found: Vec<_> = report
        .packages
        .iter()
        .filter(|p| {
            search
                .as_deref()
                .is_none_or(|s| p.name.to_ascii_lowercase().contains(s))
        })
        .collect();
    let page = page_of(found, query);
    html! {
        form.filters method="get" role="search" {
            input type="hidden" name="tab" value="packages";
            label { "Package" input type="search" name="search" value=[query.get("search")]; }
            button type="submit" { "Filter" }
        }
        section.panel {
            @if page.result.is_empty() { (empty("No package matches.")) } @else {
                div.table-wrap { table #packages {
                    thead { tr { th { "Package" } th { "Version" } th { "Type" } th { "Licences" } th { "Path" } } }
                    tbody { @for p in &page.result { tr {
                        td.mono { (p.name) }
                        td.mono { (p.version) }
                        td { (p.ecosystem) }
                        td { (p.licenses.join(", ")) }
                        td.mono { (p.locations.first().map(|l| l.path.as_str()).unwrap_or_default()) }
                    } } }
                } }
                (pager(query, &page))
            }
        }
    }
}

fn secrets(report: &ScanReport) -> Markup {
    html! {
        section.panel {
            @match &report.secrets {
                None => (empty("The secret scanner did not run on this image.")),
                Some(found) if found.is_empty() => (empty("No secret found.")),
                Some(found) => div.table-wrap { table #secrets {
                    thead { tr { th { "Severity" } th { "Rule" } th { "Where" } th { "Match (redacted)" } } }
                    tbody { @for s in found { tr {
                        td { (severity(&s.severity.to_string())) }
                        td { (s.title) br; span.muted.mono { (s.rule_id) } }
                        td.mono { (s.path) ":" (s.line) }
                        td.mono { (s.redacted_line) }
                    } } }
                } },
            }
        }
    }
}

fn malware(report: &ScanReport) -> Markup {
    html! {
        section.panel {
            @match &report.malware {
                None => (empty("The malware scanner did not run on this image.")),
                Some(found) if found.is_empty() => (empty("No malware found.")),
                Some(found) => div.table-wrap { table #malware {
                    thead { tr { th { "Severity" } th { "Rule" } th { "File" } th { "SHA-256" } } }
                    tbody { @for m in found { tr {
                        td { (severity(&m.severity.to_string())) }
                        td { (m.description) br; span.muted.mono { (m.rule) } }
                        td.mono { (m.path) }
                        td.mono { (m.sha256) }
                    } } }
                } },
            }
        }
    }
}

fn misconfigurations(report: &ScanReport) -> Markup {
    html! {
        section.panel {
            @match &report.misconfigurations {
                None => (empty("The misconfiguration scanner did not run on this image.")),
                Some(found) if found.is_empty() => (empty("No misconfiguration found.")),
                Some(found) => div.table-wrap { table #misconfigurations {
                    thead { tr { th { "Severity" } th { "Check" } th { "Where" } th { "Fix" } } }
                    tbody { @for m in found { tr {
                        td { (severity(&m.severity.to_string())) }
                        td { (m.title) br; span.muted.mono { (m.check_id) } br; (m.message) }
                        td.mono { (m.path) }
                        td { (m.remediation) }
                    } } }
                } },
            }
        }
    }
}

fn checks(detail: &ImageDetail) -> Markup {
    let checks = &detail.summary.assurance_checks_performed;
    html! {
        section.panel {
            @if checks.is_empty() { (empty("No assurance policy applies to this image.")) } @else {
                div.table-wrap { table #checks {
                    thead { tr { th { "Policy" } th { "Control" } th { "Result" } th { "Why" } } }
                    tbody { @for c in checks { tr {
                        td { a href=(format!("/policies/{}", super::images::encode(&c.policy_name))) { (c.policy_name) } }
                        td.mono { (c.control) }
                        td { @if !c.failed { span.mark.ok { "passed" } }
                             @else if c.blocking { span.mark.bad { "failed (blocks)" } }
                             @else { span.mark.pending { "failed (audit only)" } } }
                        td { (c.message) }
                    } } }
                } }
            }
        }
    }
}
