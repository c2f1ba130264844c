//! Users and their roles (administrators), and API tokens (everyone's own; created tokens
//! are shown once).

use kabuto_api::server::{TokenInfo, UserInfo};
use kabuto_auth::{Permission, Role};
use maud::{Markup, html};

use super::images::encode;
use crate::layout::{Nav, Viewer, page};
use crate::widgets::{csrf_field, empty};

/// `users` is `None` when the viewer may not manage users.
pub fn render(viewer: &Viewer, users: Option<&[UserInfo]>, tokens: &[TokenInfo]) -> Markup {
    let body = html! {
        @if let Some(users) = users { (user_list(viewer, users)) }
        (token_list(viewer, tokens))
        (own_password(viewer))
    };
    page(viewer, Nav::Users, "Users & tokens", body)
}

fn role_options() -> Markup {
    html! { @for role in Role::ALL { option value=(role.as_str()) { (role.as_str()) } } }
}

fn user_list(viewer: &Viewer, users: &[UserInfo]) -> Markup {
    html! {
        section.panel {
            h2 { "Users" }
            div.table-wrap { table #users {
                thead { tr { th { "User" } th { "Role" } th {} } }
                tbody { @for u in users { tr {
                    td { (u.id) }
                    td { (u.role) }
                    td { @if u.id != viewer.user {
                        form data-api=(format!("/api/v1/users/{}", encode(&u.id))) data-method="DELETE" data-body="none" data-confirm=(format!("Delete user {}?", u.id)) {
                            (csrf_field(&viewer.csrf))
                            div.form-error role="alert" {}
                            button.secondary type="submit" { "Delete" }
                        }
                    } }
                } } }
            } }
            h2 { "Add a user" }
            form data-api="/api/v1/users" {
                (csrf_field(&viewer.csrf))
                div.form-grid {
                    label { "User id" input name="id" data-key="id" required autocomplete="off"; }
                    label { "Role" select name="role" data-key="role" { (role_options()) } }
                    label { "Password (empty: API tokens only)" input name="password" data-key="password" type="password" autocomplete="new-password"; }
                }
                div.form-error role="alert" {}
                div.actions { button type="submit" { "Add user" } }
            }
        }
    }
}

fn token_list(viewer: &Viewer, tokens: &[TokenInfo]) -> Markup {
    let may_create = viewer.may(Permission::ManageOwnTokens);
    html! {
        section.panel {
            h2 { "API tokens" }
            @if tokens.is_empty() { (empty("No API token yet.")) } @else {
                div.table-wrap { table #tokens {
                    thead { tr { th { "Name" } th { "User" } th { "Starts with" } th { "Created" } th { "Revoked" } th {} } }
                    tbody { @for t in tokens { tr {
                        td { (t.name) }
                        td { (t.user) }
                        td.mono { "kbt_" (t.prefix) "…" }
                        td.mono { (t.created) }
                        td.mono { (t.revoked.as_deref().unwrap_or("—")) }
                        td { @if t.revoked.is_none() {
                            form data-api=(format!("/api/v1/tokens/{}", encode(&t.id))) data-method="DELETE" data-body="none" data-confirm=(format!("Revoke token {}?", t.name)) {
                                (csrf_field(&viewer.csrf))
                                div.form-error role="alert" {}
                                button.secondary type="submit" { "Revoke" }
                            }
                        } }
                    } } }
                } }
            }
            @if may_create {
                h2 { "Create a token" }
                form data-api="/api/v1/tokens" data-done="token" {
                    (csrf_field(&viewer.csrf))
                    div.form-grid {
                        label { "What it is for" input name="name" data-key="name" required placeholder="gitlab-ci"; }
                        @if viewer.may(Permission::ManageUsers) { label { "For user (empty: you)" input name="user" data-key="user" autocomplete="off"; } }
                    }
                    div.form-error role="alert" {}
                    div.actions { button type="submit" { "Create token" } }
                }
                div #created-token.notice hidden role="status" {
                    p { "Copy the token now: it is not shown again." }
                    p.token-once {}
                    p { a href="/users" { "Done" } }
                }
            }
        }
    }
}

fn own_password(viewer: &Viewer) -> Markup {
    html! {
        section.panel {
            h2 { "Change your password" }
            form data-api=(format!("/api/v1/users/{}/password", encode(&viewer.user))) data-method="PUT" data-done="reload" {
                (csrf_field(&viewer.csrf))
                label { "New password (at least 12 characters)" input name="password" data-key="password" type="password" autocomplete="new-password" minlength="12" required; }
                div.form-error role="alert" {}
                div.actions { button type="submit" { "Change password" } }
            }
        }
    }
}
