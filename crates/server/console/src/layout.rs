//! The page shell: head with the embedded assets, the top bar with navigation and the
//! signed-in user, and the CSRF token the script sends with every write.

use kabuto_auth::{Permission, Role};
use maud::{DOCTYPE, Markup, html};

use crate::assets::{ICON, SCRIPT, STYLESHEET};

/// Who is looking at a page.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: String,
    pub role: Role,
    /// The session's CSRF token: every form carries it, the script sends it as
    /// `X-CSRF-Token`.
    pub csrf: String,
}

impl Viewer {
    pub fn may(&self, permission: Permission) -> bool {
        self.role.allows(permission)
    }
}

/// The sections in the top bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Dashboard,
    Images,
    Vulnerabilities,
    Policies,
    Runtime,
    Audit,
    Users,
    Settings,
}

impl Nav {
    const ALL: [Nav; 8] = [
        Nav::Dashboard,
        Nav::Images,
        Nav::Vulnerabilities,
        Nav::Policies,
        Nav::Runtime,
        Nav::Audit,
        Nav::Users,
        Nav::Settings,
    ];

    fn href(self) -> &'static str {
        match self {
            Nav::Dashboard => "/",
            Nav::Images => "/images",
            Nav::Vulnerabilities => "/vulnerabilities",
            Nav::Policies => "/policies",
            Nav::Runtime => "/runtime",
            Nav::Audit => "/audit",
            Nav::Users => "/users",
            Nav::Settings => "/settings",
        }
    }

    fn label(self) -> &'static str {
        match self {
            Nav::Dashboard => "Dashboard",
            Nav::Images => "Images",
            Nav::Vulnerabilities => "Vulnerabilities",
            Nav::Policies => "Policies",
            Nav::Runtime => "Runtime",
            Nav::Audit => "Audit log",
            Nav::Users => "Users & tokens",
            Nav::Settings => "Settings",
        }
    }
}

fn head(title: &str, csrf: Option<&str>) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            meta name="color-scheme" content="light dark";
            @if let Some(token) = csrf { meta name="csrf-token" content=(token); }
            title { (title) " · Kabuto" }
            link rel="icon" href=(ICON.path) type="image/svg+xml";
            link rel="stylesheet" href=(STYLESHEET.path);
            script src=(SCRIPT.path) defer {}
        }
    }
}

/// A page of the signed-in console.
pub fn page(viewer: &Viewer, current: Nav, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, Some(&viewer.csrf)))
            body {
                a.skip href="#content" { "Skip to content" }
                header.top {
                    a.brand href="/" { "Kabuto" }
                    nav.main aria-label="Sections" {
                        @for nav in Nav::ALL {
                            a href=(nav.href()) aria-current=[(nav == current).then_some("page")] { (nav.label()) }
                        }
                    }
                    div.who {
                        span { (viewer.user) span.muted.hide-narrow { " (" (viewer.role) ")" } }
                        form data-api="/api/v1/logout" data-body="none" data-done="go:/login" {
                            input type="hidden" name="csrf" value=(viewer.csrf);
                            button.secondary type="submit" { "Log out" }
                        }
                    }
                }
                main #content tabindex="-1" {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A page outside the signed-in console (log in, first-run setup, errors before login).
pub fn bare_page(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            (head(title, None))
            body {
                main #content { (body) }
            }
        }
    }
}
