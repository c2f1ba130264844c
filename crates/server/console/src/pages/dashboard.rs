//! The dashboard: images by risk, the trend, the worst images and vulnerabilities, blocked
//! gates and recent activity.

use kabuto_api::server::{AuditEntry, Dashboard};
use maud::{Markup, html};

use super::images::{image_href, severity_counts};
use super::vulnerabilities::vulnerability_href;
use crate::layout::{Nav, Viewer, page};
use crate::widgets::{empty, legend, severity, severity_bars, trend_chart};

pub fn render(viewer: &Viewer, dashboard: &Dashboard) -> Markup {
    let body = html! {
        div.tiles {
            a.tile href="/images" { span.n { (dashboard.images) } span.l { "images" } }
            a.tile href="/images?order_by=-scan_date" { span.n { (dashboard.scanned) } span.l { "scanned" } }
            a.tile href="/images?disallowed=true" { span.n.mark.bad[dashboard.disallowed > 0] { (dashboard.disallowed) } span.l { "non-compliant" } }
            a.tile href="/vulnerabilities?severity=critical" { span.n { (dashboard.vulnerabilities.critical) } span.l { "critical vulnerabilities" } }
            a.tile href="/vulnerabilities?severity=high" { span.n { (dashboard.vulnerabilities.high) } span.l { "high vulnerabilities" } }
        }
        div.grid {
            section.panel aria-labelledby="by-risk" {
                h2 #by-risk { "Images by risk" }
                p.muted { "Scanned images by their worst vulnerability." }
                (severity_bars(&dashboard.images_by_risk, "Scanned images by their worst vulnerability"))
            }
            section.panel aria-labelledby="trend" {
                h2 #trend { "Vulnerability trend" }
                (trend_chart(&dashboard.trend))
                (legend())
            }
        }
        div.grid {
            section.panel aria-labelledby="top-images" {
                h2 #top-images { "Most vulnerable images" }
                @if dashboard.top_images.is_empty() { (empty("No scanned image yet.")) } @else {
                    div.table-wrap { table {
                        thead { tr { th { "Image" } th { "Issues" } } }
                        tbody { @for image in &dashboard.top_images { tr {
                            td.mono { a href=(image_href(&image.registry, &image.repository, &image.tag)) { (image.registry) "/" (image.name) } }
                            td { (severity_counts(image)) }
                        } } }
                    } }
                }
            }
            section.panel aria-labelledby="top-cves" {
                h2 #top-cves { "Vulnerabilities in the most images" }
                @if dashboard.top_vulnerabilities.is_empty() { (empty("No vulnerability found.")) } @else {
                    div.table-wrap { table {
                        thead { tr { th { "Vulnerability" } th { "Severity" } th.num { "Images" } } }
                        tbody { @for group in &dashboard.top_vulnerabilities { tr {
                            td.mono.nowrap { a href=(vulnerability_href(&group.name)) { (group.name) } }
                            td { (severity(&group.severity)) }
                            td.num { (group.images) }
                        } } }
                    } }
                }
            }
        }
        div.grid {
            section.panel aria-labelledby="blocked" {
                h2 #blocked { "Recently blocked CI runs" }
                (audit_list(&dashboard.blocked_runs, "No gate failed recently."))
            }
            section.panel aria-labelledby="recent" {
                h2 #recent { "Recent activity" }
                (audit_list(&dashboard.recent_audit, "Nothing happened yet."))
                p { a href="/audit" { "The whole audit log →" } }
            }
        }
    };
    page(viewer, Nav::Dashboard, "Dashboard", body)
}

fn audit_list(entries: &[AuditEntry], none: &str) -> Markup {
    html! {
        @if entries.is_empty() { (empty(none)) } @else {
            div.table-wrap { table {
                thead { tr { th { "When" } th { "Who" } th { "What" } th { "Target" } th { "Result" } } }
                tbody { @for e in entries { tr {
                    td.mono { (e.time) }
                    td { (e.user) }
                    td.mono { (e.action) }
                    td.mono { (e.target) }
                    td { (super::audit::result_mark(&e.result)) }
                } } }
            } }
        }
    }
}
