//! The images list: search, filters by registry, severity and compliance, sortable columns.

use kabuto_api::server::{ImageSummary, Page};
use maud::{Markup, html};

use crate::layout::{Nav, Viewer, page};
use crate::widgets::{ListQuery, count, empty, pager, sort_header};

/// The console page of an image.
pub fn image_href(registry: &str, repository: &str, tag: &str) -> String {
    format!(
        "/images/{}/{}/{}",
        encode(registry),
        repository
            .split('/')
            .map(encode)
            .collect::<Vec<_>>()
            .join("/"),
        encode(tag)
    )
}

/// One path segment, percent-encoded (`:` and `@` may stay: RFC 3986 allows them in a
/// segment, and registries with ports read better).
pub fn encode(segment: &str) -> String {
    kabuto_types::percent_encode(segment, b":@")
}

/// The severity counts of an image, critical to low.
pub fn severity_counts(image: &ImageSummary) -> Markup {
    html! {
        (count("critical", image.crit_vulns, "critical"))
        " " (count("high", image.high_vulns, "high"))
        " " (count("medium", image.med_vulns, "medium"))
        " " (count("low", image.low_vulns, "low"))
    }
}

/// Compliant, non-compliant, or not scanned yet.
pub fn compliance(image: &ImageSummary) -> Markup {
    html! {
        @if image.scan_status != "scanned" { span.mark.pending { "pending scan" } }
        @else if image.disallowed { span.mark.bad { "✗ non-compliant" } }
        @else { span.mark.ok { "✓ compliant" } }
    }
}

pub fn short_digest(digest: &str) -> &str {
    let hex = digest.split_once(':').map_or(digest, |(_, h)| h);
    hex.get(..12).unwrap_or(hex)
}

pub fn render(viewer: &Viewer, query: &ListQuery, images: &Page<ImageSummary>) -> Markup {
    let body = html! {
        form.filters method="get" action="/images" role="search" {
            label { "Search" input type="search" name="search" value=[query.get("search")] placeholder="registry/repository:tag"; }
            label { "Registry" input name="registry" value=[query.get("registry")]; }
            label { "Has severity"
                select name="severity" {
                    option value="" { "any" }
                    @for s in ["critical", "high", "medium", "low"] {
                        option value=(s) selected[query.get("severity") == Some(s)] { (s) }
                    }
                }
            }
            label { "Compliance"
                select name="disallowed" {
                    option value="" { "any" }
                    option value="true" selected[query.get("disallowed") == Some("true")] { "non-compliant" }
                    option value="false" selected[query.get("disallowed") == Some("false")] { "compliant" }
                }
            }
            @if let Some(order) = query.get("order_by") { input type="hidden" name="order_by" value=(order); }
            button type="submit" { "Filter" }
            a.button.secondary href="/images" { "Clear" }
        }
        section.panel {
            @if images.result.is_empty() {
                (empty(if query.api_pairs().is_empty() { "No image is registered yet. Register one with `kabuto scan image NAME --server URL --register`, or add a registry under Settings." } else { "No image matches these filters." }))
            } @else {
                div.table-wrap { table #images {
                    thead { tr {
                        (sort_header(query, "Image", "name", false))
                        (sort_header(query, "Registry", "registry", false))
                        th.hide-narrow { "Digest" }
                        th.hide-narrow { "OS" }
                        (sort_header(query, "Security issues", "critical", false))
                        (sort_header(query, "Compliance", "disallowed", false))
                        (sort_header(query, "Scanned", "scan_date", false))
                        th.hide-narrow { "DB version" }
                    } }
                    tbody { @for image in &images.result { tr {
                        td.mono { a href=(image_href(&image.registry, &image.repository, &image.tag)) { (image.name) } }
                        td.mono { (image.registry) }
                        td.mono.hide-narrow title=[image.digest.as_deref()] { (image.digest.as_deref().map(short_digest).unwrap_or("—")) }
                        td.hide-narrow { (image.os.as_deref().unwrap_or("—")) }
                        td { (severity_counts(image)) }
                        td { (compliance(image)) }
                        td.mono { (image.scan_date.as_deref().unwrap_or("—")) }
                        td.mono.hide-narrow { (image.db_version.as_deref().unwrap_or("—")) }
                    } } }
                } }
                (pager(query, images))
            }
        }
    };
    page(viewer, Nav::Images, "Images", body)
}
