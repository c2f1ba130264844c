//! Settings: the vulnerability database and re-evaluation, registry integrations and their
//! scan jobs, notification outputs.

use kabuto_api::server::{DatabaseStatus, Page, Registry, ScanJob};
use kabuto_auth::Permission;
use maud::{Markup, html};

use super::images::encode;
use crate::layout::{Nav, Viewer, page};
use crate::widgets::{csrf_field, empty};

/// A notification output as the settings page lists it.
#[derive(Debug, Clone)]
pub struct OutputLine {
    pub name: String,
    /// `slack`, `webhook`, ...
    pub kind: String,
    pub enabled: bool,
    pub triggers: Vec<String>,
}

/// What the settings page shows; a part is `None` when the viewer may not see it.
pub struct Settings<'a> {
    pub database: &'a DatabaseStatus,
    pub registries: Option<&'a [Registry]>,
    pub jobs: Option<&'a Page<ScanJob>>,
    pub outputs: Option<&'a [OutputLine]>,
}

pub fn render(viewer: &Viewer, settings: &Settings<'_>) -> Markup {
    let body = html! {
        (database(viewer, settings.database))
        @if let Some(registries) = settings.registries { (registry_list(viewer, registries)) }
        @if let Some(jobs) = settings.jobs { (job_list(jobs)) }
        @if let Some(outputs) = settings.outputs { (output_list(viewer, outputs)) }
    };
    page(viewer, Nav::Settings, "Settings", body)
}

fn database(viewer: &Viewer, db: &DatabaseStatus) -> Markup {
    html! {
        section.panel {
            h2 { "Vulnerability database" }
            dl.facts {
                dt { "Loaded" } dd { @if db.loaded { span.mark.ok { "yes" } } @else { span.mark.bad { "no: run `kabuto db update` on the server" } } }
                dt { "File" } dd.mono { (db.path) }
                dt { "Built" } dd.mono { (db.built_at.as_deref().unwrap_or("—")) }
                dt { "Advisories" } dd { (db.advisories) }
                @if let Some(r) = &db.last_reevaluation {
                    dt { "Last re-evaluation" } dd { (r.reason) ", " span.mono { (r.started) } " → " span.mono { (r.finished.as_deref().unwrap_or("running")) }
                        ": " (r.images) " images, " (r.changed.len()) " changed verdict, " (r.failed) " failed" }
                }
            }
            @if viewer.may(Permission::ManageDatabase) {
                div.actions {
                    form data-api="/api/v1/db/reload" data-body="none" { (csrf_field(&viewer.csrf)) div.form-error role="alert" {} button.secondary type="submit" { "Reload the database" } }
                    form data-api="/api/v1/reevaluate" data-body="none" { (csrf_field(&viewer.csrf)) div.form-error role="alert" {} button.secondary type="submit" { "Re-evaluate every image" } }
                }
            }
        }
    }
}

fn registry_list(viewer: &Viewer, registries: &[Registry]) -> Markup {
    html! {
        section.panel {
            h2 { "Registries" }
            @if registries.is_empty() { (empty("No registry is integrated. Add one with POST /api/v1/registries (see the README); its images are then pulled and scanned by the server.")) } @else {
                div.table-wrap { table #registries {
                    thead { tr { th { "Name" } th { "Type" } th { "URL" } th { "Auto pull" } th { "Repositories" } th {} } }
                    tbody { @for r in registries { tr {
                        td { (r.name) }
                        td { (r.registry_type) }
                        td.mono { (r.url.as_deref().unwrap_or("—")) }
                        td { (if r.auto_pull { "on" } else { "off" }) }
                        td.mono { (if r.pull_repo_patterns.is_empty() { "all".to_owned() } else { r.pull_repo_patterns.join(", ") }) }
                        td { form data-api=(format!("/api/v1/registries/{}/scan", encode(&r.name))) data-body="none" data-done="go:/settings" {
                            (csrf_field(&viewer.csrf)) div.form-error role="alert" {} button.secondary type="submit" { "Pull now" } } }
                    } } }
                } }
            }
        }
    }
}

fn job_list(jobs: &Page<ScanJob>) -> Markup {
    html! {
        section.panel {
            h2 { "Recent scan jobs" }
            @if jobs.result.is_empty() { (empty("No scan job.")) } @else {
                div.table-wrap { table #jobs {
                    thead { tr { th { "Image" } th { "Why" } th { "State" } th.num { "Attempts" } th { "Created" } th { "Error" } } }
                    tbody { @for j in &jobs.result { tr {
                        td.mono { (j.registry) "/" (j.repository) ":" (j.tag) }
                        td { (j.reason) }
                        td { (j.state) }
                        td.num { (j.attempts) "/" (j.max_attempts) }
                        td.mono { (j.created) }
                        td { (j.error.as_deref().unwrap_or("")) }
                    } } }
                } }
            }
        }
    }
}

fn output_list(viewer: &Viewer, outputs: &[OutputLine]) -> Markup {
    html! {
        section.panel {
            h2 { "Notification outputs" }
            @if outputs.is_empty() { (empty("No notification output. Add one with POST /api/v2/notification/outputs (see the README).")) } @else {
                div.table-wrap { table #outputs {
                    thead { tr { th { "Name" } th { "Kind" } th { "Enabled" } th { "Triggers" } th {} } }
                    tbody { @for o in outputs { tr {
                        td { (o.name) }
                        td { (o.kind) }
                        td { (if o.enabled { "yes" } else { "no" }) }
                        td.mono { (o.triggers.join(", ")) }
                        td { form data-api=(format!("/api/v2/notification/outputs/{}/test", encode(&o.name))) data-body="none" data-done="reload" {
                            (csrf_field(&viewer.csrf)) div.form-error role="alert" {} button.secondary type="submit" { "Send a test" } } }
                    } } }
                } }
            }
        }
    }
}
