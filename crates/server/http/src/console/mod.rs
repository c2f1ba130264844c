//! The console: HTML pages served at `/` by the server itself. Each page handler asks the
//! REST API's own handler (same permission checks, same data) and hands the answer to
//! `kabuto-console` to render. Forms on the pages write through the REST API with the
//! session's CSRF token, so there is no second write path here.

mod handlers;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use kabuto_console::Viewer;
use kabuto_console::assets::{self, CONTENT_SECURITY_POLICY};

use crate::error::ApiError;
use crate::extract::{Caller, console_session};
use crate::state::AppState;

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(handlers::dashboard))
        .route("/login", get(handlers::login))
        .route("/setup", get(handlers::setup))
        .route("/images", get(handlers::images))
        .route("/images/{registry}/{*name}", get(handlers::image))
        .route("/vulnerabilities", get(handlers::vulnerabilities))
        .route("/vulnerabilities/acknowledged", get(handlers::acknowledged))
        .route("/policies", get(handlers::policies))
        .route("/policies/new", get(handlers::new_policy))
        .route("/policies/{name}", get(handlers::policy))
        .route("/runtime", get(handlers::runtime_page))
        .route("/audit", get(handlers::audit))
        .route("/audit/export.csv", get(handlers::audit_csv))
        .route("/audit/export.json", get(handlers::audit_json))
        .route("/users", get(handlers::users))
        .route("/settings", get(handlers::settings))
        .route("/assets/{file}", get(asset))
        .layer(middleware::from_fn(page_headers))
        .with_state(state)
}

/// A signed-in browser: the API caller, and what a page needs to show who it is.
pub struct Session {
    pub caller: Caller,
    pub viewer: Viewer,
}

impl FromRequestParts<Arc<AppState>> for Session {
    type Rejection = PageError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Session, PageError> {
        match console_session(state, parts).await {
            Ok(Some((caller, csrf))) => Ok(Session {
                viewer: Viewer {
                    user: caller.user.to_string(),
                    role: caller.role,
                    csrf: csrf.as_str().to_owned(),
                },
                caller,
            }),
            Ok(None) => {
                let next = parts.uri.path_and_query().map_or("/", |p| p.as_str());
                Err(PageError::LogIn(next.to_owned()))
            }
            Err(e) => Err(PageError::Api(Box::new((None, e)))),
        }
    }
}

/// Why a page is not shown: not logged in (go to the login page and come back), or the
/// API refused or failed (an error page with the API's status and message).
pub enum PageError {
    LogIn(String),
    Api(Box<(Option<Viewer>, ApiError)>),
}

impl PageError {
    /// The API's error, shown on a page of the signed-in console.
    pub fn of(session: &Session) -> impl FnOnce(ApiError) -> PageError + '_ {
        move |e| PageError::Api(Box::new((Some(session.viewer.clone()), e)))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        match self {
            PageError::LogIn(next) => {
                let query = serde_urlencoded::to_string([("next", next)]).unwrap_or_default();
                Redirect::to(&format!("/login?{query}")).into_response()
            }
            PageError::Api(failure) if failure.1.status == StatusCode::UNAUTHORIZED => {
                Redirect::to("/login").into_response()
            }
            PageError::Api(failure) => {
                let (viewer, e) = *failure;
                let page =
                    kabuto_console::pages::error(viewer.as_ref(), e.status.as_u16(), &e.message);
                (e.status, axum::response::Html(page.into_string())).into_response()
            }
        }
    }
}

/// The embedded stylesheet, script and icon; their names carry their hash, so they are
/// cached for good.
async fn asset(Path(file): Path<String>) -> Response {
    match assets::find(&format!("/assets/{file}")) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            a.body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such asset").into_response(),
    }
}

/// Security headers on every console answer; pages are not cached (they show one user's
/// view), assets set their own caching.
async fn page_headers(request: axum::extract::Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let set = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    for (name, value) in set {
        headers.insert(name, HeaderValue::from_static(value));
    }
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
