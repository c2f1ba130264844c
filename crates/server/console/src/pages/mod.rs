//! One module per console page. Each `render` takes the API's own types (what the REST API
//! answers for the same question) and returns the whole page.

pub mod audit;
pub mod dashboard;
pub mod image;
pub mod images;
pub mod login;
pub mod policies;
pub mod runtime;
pub mod settings;
pub mod users;
pub mod vulnerabilities;

use maud::{Markup, html};

use crate::layout::{Nav, Viewer, bare_page, page};

/// A page that could not be shown (not found, not allowed, the server failed), signed in
/// or not.
pub fn error(viewer: Option<&Viewer>, status: u16, message: &str) -> Markup {
    let title = match status {
        403 => "Not allowed",
        404 => "Not found",
        _ => "Something went wrong",
    };
    let body = html! {
        div.panel {
            (crate::widgets::error_box(message))
            p { a href="/" { "Back to the dashboard" } }
        }
    };
    match viewer {
        Some(viewer) => page(viewer, Nav::Dashboard, title, body),
        None => bare_page(title, body),
    }
}
