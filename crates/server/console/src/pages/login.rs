//! Log in, and the first-run page that creates the administrator.

use maud::{Markup, html};

use crate::layout::bare_page;

/// The login form. `notice` says why the user is here (logged out, session ended).
pub fn render(notice: Option<&str>) -> Markup {
    bare_page(
        "Log in",
        html! {
            div.login.panel {
                h1 { "Kabuto" }
                @if let Some(notice) = notice { p.notice role="status" { (notice) } }
                form data-api="/api/v1/login" data-done="next" {
                    label { "User" input name="id" data-key="id" autocomplete="username" required autofocus; }
                    label { "Password" input name="password" data-key="password" type="password" autocomplete="current-password" required; }
                    div.form-error role="alert" {}
                    button type="submit" { "Log in" }
                }
            }
        },
    )
}

/// First run: the server has no user yet. The setup code is in the server's data directory,
/// so only who can read the server's files can become its administrator.
pub fn setup() -> Markup {
    bare_page(
        "Set up Kabuto",
        html! {
            div.login.panel {
                h1 { "Set up Kabuto" }
                p { "This server has no administrator yet. Enter the setup code from the file "
                    code { "setup-code" } " in the server's data directory (its log names the file), and choose the "
                    code { "administrator" } " password." }
                form data-api="/api/v1/setup" data-done="go:/" {
                    label { "Setup code" input name="setup_code" data-key="setup_code" autocomplete="off" required autofocus; }
                    label { "Administrator password (at least 12 characters)"
                        input name="password" data-key="password" type="password" autocomplete="new-password" minlength="12" required; }
                    div.form-error role="alert" {}
                    button type="submit" { "Create the administrator" }
                }
            }
        },
    )
}
