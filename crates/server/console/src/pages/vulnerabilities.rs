//! Vulnerabilities across images, grouped by id; the acknowledge dialog (one or many), and
//! the acknowledgements in force or expired.

use kabuto_api::server::{AckEntry, Page, VulnerabilityEntry, VulnerabilityGroup};
use kabuto_auth::Permission;
use maud::{Markup, html};
use serde_json::json;

use super::images::image_href;
use crate::layout::{Nav, Viewer, page};
use crate::widgets::{ListQuery, csrf_field, empty, pager, severity, sort_header};

/// The page of one vulnerability id (its images and packages).
pub fn vulnerability_href(name: &str) -> String {
    format!("/vulnerabilities?search={}", super::images::encode(name))
}

/// What the acknowledge dialog sends for one occurrence (Aqua's issue fields).
pub fn issue_json(name: &str, package: &str, version: &str, image: &str, registry: &str) -> String {
    json!({
        "issue_name": name,
        "resource_name": package,
        "resource_version": version,
        "image_name": image,
        "registry_name": registry,
    })
    .to_string()
}

/// The acknowledge dialog: reason, expiry, triage state and justification, for the checked
/// rows or the one whose button opened it.
pub fn ack_dialog(viewer: &Viewer) -> Markup {
    const STATES: [(&str, &str); 4] = [
        ("acknowledged", "Acknowledged (risk accepted)"),
        ("not_affected", "Not affected"),
        ("false_positive", "False positive"),
        ("in_triage", "In triage"),
    ];
    const JUSTIFICATIONS: [&str; 9] = [
        "code_not_present",
        "code_not_reachable",
        "requires_configuration",
        "requires_dependency",
        "requires_environment",
        "protected_by_compiler",
        "protected_at_runtime",
        "protected_at_perimeter",
        "protected_by_mitigating_control",
    ];
    html! {
        dialog #ack-dialog aria-labelledby="ack-title" {
            form data-api="/api/v2/risks/acknowledge" data-body="ack" {
                (csrf_field(&viewer.csrf))
                h2 #ack-title { "Acknowledge " span data-title {} }
                p.muted { "Applies to the checked rows, or to the row whose button opened this dialog." }
                input type="hidden" name="issue";
                label { "Reason" textarea name="comment" data-key="comment" rows="3" required {} }
                div.form-grid {
                    label { "Expires after (days, empty: never)" input name="expiration_days" data-key="expiration_days" data-type="int" type="number" min="1" max="999"; }
                    label { "Triage state" select name="state" data-key="state" {
                        @for (value, label) in STATES { option value=(value) { (label) } }
                    } }
                    label { "Justification (not affected)" select name="justification" data-key="justification" {
                        option value="" { "none" }
                        @for value in JUSTIFICATIONS { option value=(value) { (value.replace('_', " ")) } }
                    } }
                }
                div.form-error role="alert" {}
                div.actions {
                    button.secondary type="button" data-close { "Cancel" }
                    button type="submit" { "Acknowledge" }
                }
            }
        }
    }
}

pub fn render(
    viewer: &Viewer,
    query: &ListQuery,
    groups: &Page<VulnerabilityGroup>,
    occurrences: Option<&Page<VulnerabilityEntry>>,
) -> Markup {
    let may_ack = viewer.may(Permission::WriteAcknowledgements);
    let body = html! {
        form.filters method="get" action="/vulnerabilities" role="search" {
            label { "Vulnerability or package" input type="search" name="search" value=[query.get("search")] placeholder="CVE-2024-…"; }
            label { "Severity" select name="severity" {
                option value="" { "any" }
                @for s in ["critical", "high", "medium", "low"] { option value=(s) selected[query.get("severity") == Some(s)] { (s) } }
            } }
            label { "Acknowledged" select name="acknowledged" {
                option value="" { "any" }
                option value="false" selected[query.get("acknowledged") == Some("false")] { "not acknowledged" }
                option value="true" selected[query.get("acknowledged") == Some("true")] { "acknowledged" }
            } }
            button type="submit" { "Filter" }
            a.button.secondary href="/vulnerabilities" { "Clear" }
            a.button.secondary href="/vulnerabilities/acknowledged" { "Acknowledgements" }
        }
        @if let Some(occurrences) = occurrences { (occurrence_table(query, occurrences, may_ack)) }
        section.panel {
            h2 { "By vulnerability" }
            @if groups.result.is_empty() {
                (empty(if query.api_pairs().is_empty() { "No vulnerability in any stored image." } else { "No vulnerability matches these filters." }))
            } @else {
                div.table-wrap { table #groups {
                    thead { tr {
                        (sort_header(query, "Vulnerability", "name", false))
                        (sort_header(query, "Severity", "severity", false))
                        th.num { "Score" }
                        (sort_header(query, "Images", "images", true))
                        th { "Packages" }
                        th { "Fixed in" }
                        th.num { "Acknowledged" }
                    } }
                    tbody { @for g in &groups.result { tr {
                        td.mono.nowrap { a href=(vulnerability_href(&g.name)) { (g.name) } }
                        td { (severity(&g.severity)) }
                        td.num { (g.score.map(|s| format!("{s:.1}")).unwrap_or_default()) }
                        td.num { (g.images) }
                        td.mono { (g.packages.join(", ")) }
                        td.mono { (g.fix_version.as_deref().unwrap_or("—")) }
                        td.num { (g.acknowledged) " / " (g.occurrences) }
                    } } }
                } }
                (pager(query, groups))
            }
        }
        @if may_ack { (ack_dialog(viewer)) }
    };
    page(viewer, Nav::Vulnerabilities, "Vulnerabilities", body)
}

/// Where one vulnerability (the search) is: each image and package, to acknowledge.
fn occurrence_table(
    query: &ListQuery,
    occurrences: &Page<VulnerabilityEntry>,
    may_ack: bool,
) -> Markup {
    html! {
        section.panel {
            h2 { "Where " (query.get("search").unwrap_or_default()) " is" }
            @if occurrences.result.is_empty() { (empty("In no stored image.")) } @else {
                div.table-wrap { table #occurrences {
                    thead { tr {
                        @if may_ack { th { input type="checkbox" data-check-all aria-label="Check every row"; } }
                        th { "Vulnerability" } th { "Image" } th { "Package" } th { "Installed" } th { "Fixed in" } th { "Status" }
                        @if may_ack { th {} }
                    } }
                    tbody { @for v in &occurrences.result {
                        @let issue = issue_json(&v.name, &v.resource.name, &v.resource.version, &v.image_name, &v.registry);
                        tr {
                            @if may_ack { td { input type="checkbox" data-issue=(issue) aria-label=(format!("{} in {}", v.name, v.image_name)); } }
                            td.mono.nowrap { (v.name) " " (severity(&v.severity)) }
                            td.mono { @let (repo, tag) = v.image_name.rsplit_once(':').unwrap_or((&v.image_name, ""));
                                a href=(image_href(&v.registry, repo, tag)) { (v.registry) "/" (v.image_name) } }
                            td.mono { (v.resource.name) }
                            td.mono { (v.resource.version) }
                            td.mono { (v.fix_version.as_deref().unwrap_or("—")) }
                            td { @if v.acknowledged { span.mark.ok { "acknowledged" } } @else { span.mark.bad { "open" } } }
                            @if may_ack { td { button.secondary type="button" data-open="ack-dialog" data-issue=(issue) data-label=(v.name) { "Acknowledge" } } }
                        }
                    } }
                } }
                @if may_ack { p { button type="button" data-open="ack-dialog" data-label="the checked rows" { "Acknowledge checked" } } }
                @if occurrences.count > occurrences.result.len() as i64 {
                    p.muted { "The first " (occurrences.result.len()) " of " (occurrences.count) "; narrow them with the filters above." }
                }
            }
        }
    }
}

/// The acknowledgements, in force and expired, each removable.
pub fn acknowledgements(viewer: &Viewer, acks: &[AckEntry]) -> Markup {
    let may_ack = viewer.may(Permission::WriteAcknowledgements);
    let body = html! {
        p { a href="/vulnerabilities" { "← Vulnerabilities" } " · "
            a href="/api/v2/risks/acknowledge/openvex" download="kabuto-openvex.json" { "Export as OpenVEX" } }
        section.panel {
            @if acks.is_empty() { (empty("Nothing is acknowledged.")) } @else {
                div.table-wrap { table #acks {
                    thead { tr { th { "Vulnerability" } th { "Package" } th { "Image" } th { "State" } th { "Reason" } th { "By" } th { "Expires" } @if may_ack { th {} } } }
                    tbody { @for a in acks {
                        @let issue = &a.issue;
                        tr {
                            td.mono.nowrap { (issue.issue_name) }
                            td.mono { (or_any(&issue.resource_name)) " " (issue.resource_version) }
                            td.mono { (or_any(&issue.registry_name)) "/" (or_any(&issue.image_name)) }
                            td { (issue.state.map_or("acknowledged", |s| s.as_str()))
                                 @if let Some(j) = issue.justification { br; span.muted { (j.as_str()) } } }
                            td { (a.comment) }
                            td { (a.author) br; span.muted.mono { (a.created) } }
                            td { @if a.expired { span.mark.bad { "expired " } } span.mono { (a.expires.as_deref().unwrap_or("never")) } }
                            @if may_ack { td {
                                form data-api="/api/v2/risks/acknowledge" data-method="DELETE" data-body="unack" data-confirm="Stop acknowledging this?" {
                                    (csrf_field(&viewer.csrf))
                                    input type="hidden" name="issue" value=(serde_json::to_string(issue).unwrap_or_default());
                                    div.form-error role="alert" {}
                                    button.secondary type="submit" { "Remove" }
                                }
                            } }
                        }
                    } }
                } }
            }
        }
    };
    page(viewer, Nav::Vulnerabilities, "Acknowledgements", body)
}

fn or_any(text: &str) -> &str {
    if text.is_empty() { "any" } else { text }
}
