//! Image assurance policies: the list, a form editor for the controls (the fields of the
//! policy files), JSON import and export, templates, and a preview of what a policy would
//! fail among the stored images.

use kabuto_auth::Permission;
use maud::{Markup, html};
use serde_json::Value;

use super::images::encode;
use crate::layout::{Nav, Viewer, page};
use crate::widgets::{csrf_field, empty};

/// How a policy field is edited.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Bool,
    Text,
    Int,
    Float,
    /// Strings, one per line or comma-separated.
    List,
    Severity,
}

/// One field of the form: the policy field, its label, how it is edited.
type Field = (&'static str, &'static str, Kind);

/// The form's fields by group. Fields not listed here (lists of objects such as package
/// matchers or labels) are kept as they are and edited as JSON.
const GROUPS: [(&str, &[Field]); 5] = [
    (
        "General",
        &[
            ("description", "Description", Kind::Text),
            ("enabled", "Enabled", Kind::Bool),
            (
                "application_scopes",
                "Application scopes (empty: every image)",
                Kind::List,
            ),
            (
                "fail_cicd",
                "Fail the CI gate (exit code 4) when the policy fails",
                Kind::Bool,
            ),
            (
                "audit_on_failure",
                "Audit when the policy fails",
                Kind::Bool,
            ),
        ],
    ),
    (
        "Vulnerabilities",
        &[
            ("cvss_severity_enabled", "Block by severity", Kind::Bool),
            ("cvss_severity", "Severity at or above", Kind::Severity),
            (
                "cvss_severity_exclude_no_fix",
                "Only when a fix exists",
                Kind::Bool,
            ),
            ("maximum_score_enabled", "Block by CVSS score", Kind::Bool),
            ("maximum_score", "Highest allowed score", Kind::Float),
            (
                "maximum_score_exclude_no_fix",
                "Only when a fix exists (score)",
                Kind::Bool,
            ),
            (
                "epss_score_enabled",
                "Block by EPSS probability",
                Kind::Bool,
            ),
            ("epss_score", "Highest allowed EPSS (0-1)", Kind::Float),
            (
                "kev_enabled",
                "Block known exploited (CISA KEV)",
                Kind::Bool,
            ),
            (
                "cves_black_list_enabled",
                "Block listed vulnerabilities",
                Kind::Bool,
            ),
            ("cves_black_list", "Blocked vulnerability ids", Kind::List),
            (
                "cves_white_list_enabled",
                "Ignore listed vulnerabilities",
                Kind::Bool,
            ),
            ("cves_white_list", "Ignored vulnerability ids", Kind::List),
            (
                "ignore_recently_published_vln",
                "Ignore recently published",
                Kind::Bool,
            ),
            (
                "ignore_recently_published_vln_period",
                "Days counted as recent",
                Kind::Int,
            ),
        ],
    ),
    (
        "Content",
        &[
            ("disallow_malware", "Block malware", Kind::Bool),
            ("scan_sensitive_data", "Block secrets", Kind::Bool),
            (
                "only_none_root_users",
                "Block images that run as root",
                Kind::Bool,
            ),
            (
                "misconfiguration_checks_enabled",
                "Block misconfigurations",
                Kind::Bool,
            ),
        ],
    ),
    (
        "Licences",
        &[
            ("blacklisted_licenses_enabled", "Block licences", Kind::Bool),
            (
                "blacklisted_licenses",
                "Blocked licences (SPDX ids)",
                Kind::List,
            ),
            (
                "whitelisted_licenses_enabled",
                "Allow only licences",
                Kind::Bool,
            ),
            (
                "whitelisted_licenses",
                "Allowed licences (SPDX ids)",
                Kind::List,
            ),
        ],
    ),
    (
        "Image",
        &[
            (
                "allowed_registries_enabled",
                "Allow only registries",
                Kind::Bool,
            ),
            ("allowed_registries", "Allowed registries", Kind::List),
            (
                "image_max_age_days_enabled",
                "Limit the image's age",
                Kind::Bool,
            ),
            ("image_max_age_days", "Oldest allowed (days)", Kind::Int),
            (
                "max_image_size_enabled",
                "Limit the image's size",
                Kind::Bool,
            ),
            ("max_image_size_mb", "Largest allowed (MB)", Kind::Int),
        ],
    ),
];

fn text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join("\n"),
        Some(other) => other.to_string(),
    }
}

fn field(document: &Value, (key, label, kind): Field, editable: bool) -> Markup {
    let value = document.get(key);
    let current = text(value);
    html! {
        @match kind {
            Kind::Bool => label.inline { input type="checkbox" name=(key) data-key=(key) checked[value.and_then(Value::as_bool).unwrap_or(false)] disabled[!editable]; (label) },
            Kind::Severity => label { (label) select name=(key) data-key=(key) disabled[!editable] {
                @for s in ["critical", "high", "medium", "low"] { option value=(s) selected[current == s] { (s) } }
            } },
            Kind::List => label { (label) textarea name=(key) data-key=(key) data-type="list" rows="3" disabled[!editable] { (current) } },
            Kind::Int => label { (label) input type="number" step="1" min="0" name=(key) data-key=(key) data-type="int" value=(current) disabled[!editable]; },
            Kind::Float => label { (label) input type="number" step="any" min="0" name=(key) data-key=(key) data-type="float" value=(current) disabled[!editable]; },
            Kind::Text => label { (label) input name=(key) data-key=(key) value=(current) disabled[!editable]; },
        }
    }
}

pub fn list(viewer: &Viewer, policies: &[Value], templates: &[&str]) -> Markup {
    let may_write = viewer.may(Permission::WritePolicies);
    let body = html! {
        div.panel {
            @if may_write {
                form.filters method="get" action="/policies/new" {
                    label { "Start from a template" select name="template" {
                        @for t in templates { option value=(t) { (t) } }
                    } }
                    button type="submit" { "New policy" }
                }
            }
            p { a href="/api/v2/assurance_policy/image" download="kabuto-policies.json" { "Export every policy (JSON)" } }
        }
        section.panel {
            @if policies.is_empty() { (empty("No image assurance policy yet: every image passes. Start one from a template.")) } @else {
                div.table-wrap { table #policies {
                    thead { tr { th { "Name" } th { "Description" } th { "Enabled" } th { "Fails CI" } th { "Controls on" } } }
                    tbody { @for p in policies {
                        @let name = p.get("name").and_then(Value::as_str).unwrap_or_default();
                        tr {
                            td { a href=(format!("/policies/{}", encode(name))) { (name) } }
                            td { (text(p.get("description"))) }
                            td { (yes_no(p.get("enabled").and_then(Value::as_bool).unwrap_or(true))) }
                            td { (yes_no(p.get("fail_cicd").and_then(Value::as_bool).unwrap_or(false))) }
                            td.mono { (enabled_controls(p).join(", ")) }
                        }
                    } }
                } }
            }
        }
    };
    page(viewer, Nav::Policies, "Image assurance policies", body)
}

fn yes_no(value: bool) -> &'static str {
    if value { "yes" } else { "no" }
}

/// The controls a policy switches on (`*_enabled` fields and the plain switches).
fn enabled_controls(policy: &Value) -> Vec<String> {
    const SWITCHES: [&str; 4] = [
        "disallow_malware",
        "scan_sensitive_data",
        "only_none_root_users",
        "kev_enabled",
    ];
    let Some(fields) = policy.as_object() else {
        return Vec::new();
    };
    fields
        .iter()
        .filter(|(_, v)| v.as_bool() == Some(true))
        .filter_map(|(k, _)| {
            k.strip_suffix("_enabled")
                .or_else(|| SWITCHES.contains(&k.as_str()).then_some(k.as_str()))
        })
        .filter(|k| *k != "custom_checks" && !k.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The editor of a stored policy (`is_new`: a template or import not saved yet).
pub fn editor(viewer: &Viewer, document: &Value, is_new: bool) -> Markup {
    let may_write = viewer.may(Permission::WritePolicies);
    let name = document
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let (api, method) = if is_new {
        ("/api/v2/assurance_policy/image".to_owned(), "POST")
    } else {
        (
            format!("/api/v2/assurance_policy/image/{}", encode(name)),
            "PUT",
        )
    };
    let pretty = serde_json::to_string_pretty(document).unwrap_or_default();
    let title = if is_new {
        "New policy".to_owned()
    } else {
        format!("Policy {name}")
    };
    let body = html! {
        p { a href="/policies" { "← Policies" } }
        form.panel #policy-form data-api=(api) data-method=(method) data-body="policy" data-done="go:/policies/{name}" {
            (csrf_field(&viewer.csrf))
            textarea name="base" hidden { (pretty) }
            label { "Name" input name="name" data-key="name" value=(name) required readonly[!is_new] disabled[!may_write]; }
            @for (group, fields) in GROUPS {
                fieldset {
                    legend { (group) }
                    div.form-grid { @for f in fields.iter() { (field(document, *f, may_write)) } }
                }
            }
            div.form-error role="alert" {}
            div.actions {
                button.secondary type="submit" data-api="/api/v2/assurance_policy/image/preview" data-method="POST" data-done="preview" { "Preview: what would it fail?" }
                @if may_write { button type="submit" { "Save" } }
            }
        }
        section.panel #preview hidden {
            h2 { "Preview" }
            p.summary role="status" {}
            div.table-wrap { table {
                thead { tr { th { "Image" } th { "Failed controls" } th { "Today" } } }
                tbody {}
            } }
        }
        @if may_write {
            form.panel #policy-json data-api=(api) data-method=(method) data-body="json" data-done="go:/policies" {
                (csrf_field(&viewer.csrf))
                h2 { "As JSON" }
                p.muted { "The same document " code { "kabuto policy" } " reads. Paste or import a file, then save." }
                label { "Import a file" input type="file" accept=".json,application/json" data-import; }
                textarea name="document" aria-label="Policy JSON" { (pretty) }
                div.form-error role="alert" {}
                div.actions { button type="submit" { "Save JSON" } }
            }
            @if !is_new {
                form data-api=(api) data-method="DELETE" data-body="none" data-done="go:/policies" data-confirm=(format!("Delete policy {name}?")) {
                    (csrf_field(&viewer.csrf))
                    div.form-error role="alert" {}
                    button.danger type="submit" { "Delete this policy" }
                }
            }
        } @else {
            p { a href=(api) download=(format!("{name}.json")) { "Export as JSON" } }
        }
    };
    page(viewer, Nav::Policies, &title, body)
}
