//! The Kabuto console's pages, rendered on the server.
//!
//! ```text
//! browser ─GET /images?severity=high─> kabuto-server console handler ─> the REST API's own
//!   handler (same checks, same data) ─> kabuto_api types ─> pages::images::render ─> HTML
//! browser form ─fetch (JSON, X-CSRF-Token)─> the REST API ─> error shown by the field it names
//! ```
//!
//! Why server-rendered HTML (maud) with one small script: one language and one set of types
//! from the store to the page; no front-end build a user or CI must run; pages read (and can
//! be tested and snapshotted) without a browser; maud escapes every value, so hostile image,
//! package and vulnerability names stay text. The script only sends forms to the API the
//! command line already uses: there is no second write path to keep in step.
//!
//! Every asset (stylesheet, script) is embedded here and served by the server; nothing is
//! fetched from elsewhere at run time.

pub mod assets;
mod layout;
pub mod pages;
mod widgets;

pub use layout::{Nav, Viewer};
pub use widgets::ListQuery;
