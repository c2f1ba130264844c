//! The audit log: filters by user, action, result and time; export as CSV or JSON.

use kabuto_api::server::{AuditEntry, Page};
use maud::{Markup, html};

use crate::layout::{Nav, Viewer, page};
use crate::widgets::{ListQuery, empty, pager};

/// A result in its colour.
pub fn result_mark(result: &str) -> Markup {
    let class = match result {
        "success" => "ok",
        "failure" | "denied" | "blocked" => "bad",
        _ => "pending",
    };
    html! { span.mark.(class) { (result) } }
}

pub fn render(viewer: &Viewer, query: &ListQuery, entries: &Page<AuditEntry>) -> Markup {
    let export = |format: &str| {
        let mut pairs = query.api_pairs();
        pairs.retain(|(k, _)| k != "page" && k != "pagesize");
        let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if q.is_empty() {
            format!("/audit/export.{format}")
        } else {
            format!("/audit/export.{format}?{q}")
        }
    };
    let body = html! {
        form.filters method="get" action="/audit" role="search" {
            label { "User" input name="user" value=[query.get("user")]; }
            label { "Action starts with" input name="action" value=[query.get("action")] placeholder="policy."; }
            label { "Result" select name="result" {
                option value="" { "any" }
                @for r in ["success", "failure", "denied", "blocked"] { option value=(r) selected[query.get("result") == Some(r)] { (r) } }
            } }
            label { "Since (RFC 3339)" input name="since" value=[query.get("since")] placeholder="2026-12-01T00:00:00Z"; }
            button type="submit" { "Filter" }
            a.button.secondary href="/audit" { "Clear" }
            a.button.secondary href=(export("csv")) download { "Export CSV" }
            a.button.secondary href=(export("json")) download { "Export JSON" }
        }
        section.panel {
            @if entries.result.is_empty() { (empty("No audit record matches.")) } @else {
                div.table-wrap { table #audit {
                    thead { tr { th { "When" } th { "User" } th { "Credential" } th { "From" } th { "Action" } th { "Target" } th { "Result" } th { "Detail" } } }
                    tbody { @for e in &entries.result { tr {
                        td.mono { (e.time) }
                        td { (e.user) }
                        td.mono { (e.credential) }
                        td.mono { (e.source) }
                        td.mono { (e.action) }
                        td.mono { (e.target) }
                        td { (result_mark(&e.result)) }
                        td.mono { @if !e.detail.as_object().is_some_and(|o| o.is_empty()) { (e.detail.to_string()) } }
                    } } }
                } }
                (pager(query, entries))
            }
        }
    };
    page(viewer, Nav::Audit, "Audit log", body)
}
