//! First-run setup (see `crate::setup`): whether the server waits for its administrator, and
//! creating it with the setup code. No login: there is no one to log in as yet.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{ConnectInfo, State};
use axum::http::StatusCode;
use axum::response::Response;
use kabuto_api::server::{SetupRequest, SetupStatus};
use kabuto_auth::UserId;

use super::session::{SignIn, audit_sign_in, hash_password, start_session};
use crate::error::{ApiError, ApiResult};
use crate::extract::StrictJson;
use crate::state::AppState;

/// The login limiter's user key for setup attempts: failures count per address.
const LIMITER_KEY: &str = "\u{0}setup";

/// `GET /api/v1/setup`.
pub async fn status(State(state): State<Arc<AppState>>) -> ApiResult<Json<SetupStatus>> {
    Ok(Json(setup_status(&state).await?))
}

/// Whether the server waits for first-run setup.
pub async fn setup_status(state: &AppState) -> ApiResult<SetupStatus> {
    let waiting = state.setup.lock().await.is_some();
    Ok(SetupStatus {
        needed: waiting && state.store.user_count().await? == 0,
    })
}

/// `POST /api/v1/setup`: 201 with the login's body and cookies.
pub async fn complete(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    StrictJson(request): StrictJson<SetupRequest>,
) -> ApiResult<Response> {
    complete_setup(&state, peer.ip(), request).await
}

/// Creates the administrator when `request` carries the setup code, and logs it in (the
/// answer has the login's body and cookies): 409 once there is an administrator, 429 after
/// too many wrong codes from the address, 403 for a wrong code, 400 naming `password` for a
/// short one.
pub async fn complete_setup(
    state: &AppState,
    ip: IpAddr,
    request: SetupRequest,
) -> ApiResult<Response> {
    let mut waiting = state.setup.lock().await;
    let Some(code) = waiting.as_ref() else {
        return Err(already_set_up());
    };
    if state.store.user_count().await? > 0 {
        return Err(already_set_up());
    }
    if let Err(wait) = state.limiter.check(LIMITER_KEY, ip, Instant::now()) {
        return Err(ApiError::too_many(
            format!(
                "too many wrong setup codes from this address: try again in {} s",
                wait.seconds()
            ),
            wait.seconds(),
        ));
    }
    let attempt = |outcome| SignIn {
        action: "setup",
        id: UserId::ADMINISTRATOR,
        credential: "setup-code",
        ip,
        outcome,
    };
    if !code.matches(&request.setup_code) {
        state
            .limiter
            .record_failure(LIMITER_KEY, ip, Instant::now());
        audit_sign_in(state, attempt("failure")).await;
        return Err(ApiError::forbidden(
            "wrong setup code: it is in the file `setup-code` in the server's data directory",
        ));
    }
    let hash = hash_password(request.password).await?;
    crate::store_administrator(&state.store, &hash).await?;
    if let Some(code) = waiting.take() {
        code.forget();
    }
    state
        .limiter
        .record_success(LIMITER_KEY, ip, Instant::now());
    audit_sign_in(state, attempt("success")).await;
    tracing::info!("first-run setup created the administrator user");
    let user = state
        .store
        .user(UserId::ADMINISTRATOR)
        .await?
        .ok_or_else(|| ApiError::conflict("the administrator was deleted at once"))?;
    let mut response = start_session(state, user).await?;
    *response.status_mut() = StatusCode::CREATED;
    Ok(response)
}

fn already_set_up() -> ApiError {
    ApiError::conflict("the server has its administrator already: log in")
}
