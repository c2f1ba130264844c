//! Runtime protection: the runtime policies the enforcers fetch (each one's JSON, import,
//! delete), the enforcers with their connection state, and the recent runtime audit events
//! (filters by host, container, control and result).

use kabuto_api::server::{AuditEntry, EnforcerEntry, EnforcerStatus, Page};
use kabuto_auth::Permission;
use maud::{Markup, html};
use serde_json::Value;

use super::audit::result_mark;
use super::images::encode;
use crate::layout::{Nav, Viewer, page};
use crate::widgets::{ListQuery, csrf_field, empty, pager};

/// What the runtime page shows.
pub struct Runtime<'a> {
    pub policies: &'a [Value],
    pub enforcers: &'a [EnforcerEntry],
    /// Runtime audit events matching the page's filters.
    pub events: &'a Page<AuditEntry>,
}

/// The audit log's filters of the page's (`host`, `container`, `control`, `result`,
/// `page`): runtime events only.
pub fn audit_filters(query: &ListQuery) -> Vec<(String, String)> {
    let control = query.get("control").unwrap_or_default();
    let mut pairs = vec![("action".to_owned(), format!("Runtime.{control}"))];
    if let Some(container) = query.get("container") {
        pairs.push(("target".to_owned(), format!("container {container}")));
    }
    for key in ["host", "result", "page"] {
        if let Some(value) = query.get(key) {
            pairs.push((key.to_owned(), value.to_owned()));
        }
    }
    pairs
}

pub fn render(viewer: &Viewer, query: &ListQuery, runtime: &Runtime<'_>) -> Markup {
    let body = html! {
        (policies(viewer, runtime.policies))
        (enforcers(runtime.enforcers))
        (events(query, runtime.events))
    };
    page(viewer, Nav::Runtime, "Runtime protection", body)
}

fn text<'v>(value: &'v Value, key: &str) -> &'v str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

fn policies(viewer: &Viewer, policies: &[Value]) -> Markup {
    let may_write = viewer.may(Permission::WritePolicies);
    html! {
        section.panel #runtime-policies {
            h2 { "Runtime policies" }
            p.muted { "What every " code { "kabuto enforcer --server" } " applies, taken up at its next refresh. "
                a href="/api/v2/runtime_policies" download="kabuto-runtime-policies.json" { "Export every policy (JSON)" } }
            @if policies.is_empty() { (empty("No runtime policy yet: enforcers apply their own files only.")) } @else {
                div.table-wrap { table #runtime-policy-list {
                    thead { tr { th { "Name" } th { "Description" } th { "Enabled" } th { "Mode" } th { "Controls on" } th { "JSON" } } }
                    tbody { @for p in policies { (policy_row(viewer, p, may_write)) } }
                } }
            }
            @if may_write { (import_form(viewer)) }
        }
    }
}

fn policy_row(viewer: &Viewer, policy: &Value, may_write: bool) -> Markup {
    let name = text(policy, "name");
    let enabled = policy
        .get("enabled")
        .and_then(Value::as_bool)
        .unwrap_or(true);
    let enforce = policy
        .get("enforce")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    html! {
        tr {
            td.mono { (name) }
            td { (text(policy, "description")) }
            td { @if enabled { "yes" } @else { "no" } }
            td { @if enforce { span.mark.bad { "enforce" } } @else { span.mark.pending { "audit" } } }
            td.mono { (controls_on(policy).join(", ")) }
            td {
                details {
                    summary { "View" }
                    pre.mono { (serde_json::to_string_pretty(policy).unwrap_or_default()) }
                }
                @if may_write {
                    form data-api=(format!("/api/v2/runtime_policies/{}", encode(name))) data-method="DELETE" data-body="none" data-done="reload" data-confirm=(format!("Delete runtime policy {name}?")) {
                        (csrf_field(&viewer.csrf))
                        div.form-error role="alert" {}
                        button.danger type="submit" { "Delete" }
                    }
                }
            }
        }
    }
}

/// The switched-on controls: fields holding `{"enabled": true, ...}` or `true`.
fn controls_on(policy: &Value) -> Vec<&str> {
    const NOT_CONTROLS: [&str; 2] = ["enabled", "enforce"];
    let Some(fields) = policy.as_object() else {
        return Vec::new();
    };
    fields
        .iter()
        .filter(|(key, value)| {
            !NOT_CONTROLS.contains(&key.as_str())
                && (value.as_bool() == Some(true)
                    || value.get("enabled").and_then(Value::as_bool) == Some(true))
        })
        .map(|(key, _)| key.as_str())
        .filter(|key| *key != "bypass_scope")
        .collect()
}

fn import_form(viewer: &Viewer) -> Markup {
    html! {
        form #runtime-policy-import data-api="/api/v2/runtime_policies" data-method="POST" data-body="json" data-done="reload" {
            (csrf_field(&viewer.csrf))
            h3 { "Import a policy" }
            p.muted { "The JSON " code { "kabuto enforcer --policy" } " reads (one policy). To replace a policy, give its name and use Replace." }
            label { "Import a file" input type="file" accept=".json,application/json" data-import; }
            textarea name="document" aria-label="Runtime policy JSON" rows="8" {}
            label { "Name (to replace)" input name="name"; }
            div.form-error role="alert" {}
            div.actions {
                button type="submit" { "Import" }
                button.secondary type="submit" data-api="/api/v2/runtime_policies/{name}" data-method="PUT" { "Replace" }
            }
        }
    }
}

fn enforcers(enforcers: &[EnforcerEntry]) -> Markup {
    html! {
        section.panel #enforcers {
            h2 { "Enforcers" }
            @if enforcers.is_empty() { (empty("No enforcer has reported yet: start kabuto enforcer with --server and an enforcer's token.")) } @else {
                div.table-wrap { table #enforcer-list {
                    thead { tr { th { "Host" } th { "State" } th { "Last seen" } th { "Version" } th { "Containers" } th { "Policies" } th { "Events spooled / sent / dropped" } th { "Enforcement" } } }
                    tbody { @for e in enforcers {
                        @let r = &e.report;
                        tr {
                            td.mono { (r.host) }
                            td { @match e.status {
                                EnforcerStatus::Connected => span.mark.ok { "connected" },
                                EnforcerStatus::Disconnected => span.mark.bad { "disconnected" },
                            } }
                            td.mono { (e.last_seen) }
                            td.mono { (r.version) }
                            td { (r.containers) }
                            td.mono { (r.policies.join(", ")) }
                            td { (r.events.spooled) " / " (r.events.sent) " / " (r.events.dropped) }
                            td.muted { (r.mode) }
                        }
                    } }
                } }
            }
        }
    }
}

fn events(query: &ListQuery, events: &Page<AuditEntry>) -> Markup {
    html! {
        section.panel #runtime-events {
            h2 { "Runtime events" }
            form.filters method="get" action="/runtime" role="search" {
                label { "Host" input name="host" value=[query.get("host")]; }
                label { "Container id starts with" input name="container" value=[query.get("container")]; }
                label { "Control" input name="control" value=[query.get("control")] placeholder="container_exec"; }
                label { "Result" select name="result" {
                    option value="" { "any" }
                    @for r in ["detected", "blocked"] { option value=(r) selected[query.get("result") == Some(r)] { (r) } }
                } }
                button type="submit" { "Filter" }
                a.button.secondary href="/runtime" { "Clear" }
            }
            @if events.result.is_empty() { (empty("No runtime event matches.")) } @else {
                div.table-wrap { table #runtime-event-list {
                    thead { tr { th { "When" } th { "Host" } th { "Container" } th { "Image" } th { "Control" } th { "Policy" } th { "Result" } th { "What happened" } } }
                    tbody { @for e in &events.result {
                        tr {
                            td.mono { (e.time) }
                            td.mono { (text(&e.detail, "host")) }
                            td.mono { (e.target.strip_prefix("container ").unwrap_or_default()) }
                            td.mono { (text(&e.detail, "image")) }
                            td.mono { (text(&e.detail, "control")) " " (text(&e.detail, "control_field")) }
                            td { (text(&e.detail, "policy")) }
                            td { (result_mark(&e.result)) }
                            td { (e.detail.get("evidence").map_or("", |v| text(v, "message"))) }
                        }
                    } }
                } }
                (pager(query, events))
            }
        }
    }
}
