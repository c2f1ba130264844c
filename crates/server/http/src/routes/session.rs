//! Login and logout, the caller's identity, users and API tokens.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::Json;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use kabuto_api::server::{
    CreatedToken, LoginRequest, LoginResponse, NewTokenRequest, NewUser, PasswordChange, TokenInfo,
    UserInfo,
};
use kabuto_auth::{ApiToken, CsrfToken, Password, PasswordHash, Permission, SessionToken, UserId};
use kabuto_store::{AuditEvent, NewToken, TokenRow, UserRow};
use time::{Duration, OffsetDateTime};

use super::{Audit, authorize, record, rfc3339};
use crate::error::{ApiError, ApiResult};
use crate::extract::{
    CSRF_COOKIE, Caller, Credential, JsonBody, SESSION_COOKIE, StrictJson, session_token,
};
use crate::state::AppState;

/// How long a login lasts.
const SESSION_LIFETIME: Duration = Duration::hours(12);

pub async fn login(
    State(state): State<Arc<AppState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    StrictJson(request): StrictJson<LoginRequest>,
) -> ApiResult<Response> {
    let ip = peer.ip();
    if let Err(wait) = state.limiter.check(&request.id, ip, Instant::now()) {
        count_login(&state, "limited");
        return Err(ApiError::too_many(
            format!(
                "too many failed logins from this address or for this user: try again in {} s",
                wait.seconds()
            ),
            wait.seconds(),
        ));
    }
    let user = check_password(&state, &request).await?;
    let Some(user) = user else {
        state
            .limiter
            .record_failure(&request.id, ip, Instant::now());
        count_login(&state, "failure");
        audit_sign_in(&state, SignIn::login(&request.id, ip, "failure")).await;
        return Err(ApiError::unauthorized("wrong user id or password"));
    };
    state
        .limiter
        .record_success(&request.id, ip, Instant::now());
    count_login(&state, "success");
    audit_sign_in(&state, SignIn::login(&user.id, ip, "success")).await;
    start_session(&state, user).await
}

/// The user when `request`'s password is theirs. Unknown users cost the same time as known
/// ones, so answers do not tell which ids exist.
async fn check_password(state: &AppState, request: &LoginRequest) -> ApiResult<Option<UserRow>> {
    let _slot = state
        .password_checks
        .acquire()
        .await
        .map_err(|e| ApiError::internal("waiting for a password check", &e))?;
    let user = state.store.user(&request.id).await?;
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .and_then(|h| PasswordHash::parse(h).ok());
    let password = Password::new(request.password.clone()).ok();
    let matches = tokio::task::spawn_blocking(move || match (hash, password) {
        (Some(hash), Some(password)) => hash.verify(&password),
        (None, Some(password)) => {
            PasswordHash::verify_dummy(&password);
            false
        }
        (_, None) => false,
    })
    .await
    .map_err(|e| ApiError::internal("the password check", &e))?;
    Ok(user.filter(|_| matches))
}

/// A new session for `user`: the login answer's body and cookies.
pub(crate) async fn start_session(state: &AppState, user: UserRow) -> ApiResult<Response> {
    let token = SessionToken::generate();
    let csrf = CsrfToken::generate();
    let now = OffsetDateTime::now_utc();
    let expires = now + SESSION_LIFETIME;
    state
        .store
        .create_session(token.hash().as_str(), &user.id, csrf.as_str(), now, expires)
        .await?;
    let body = LoginResponse {
        token: token.as_str().to_owned(),
        user: user_info(&user)?,
        expires: rfc3339(expires),
    };
    let secure = if state.tls { "; Secure" } else { "" };
    let max_age = SESSION_LIFETIME.whole_seconds();
    let mut headers = HeaderMap::new();
    for value in [
        format!(
            "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}",
            token.as_str()
        ),
        // Readable by the console's script, which echoes it in X-CSRF-Token.
        format!(
            "{CSRF_COOKIE}={}; Path=/; SameSite=Strict; Max-Age={max_age}{secure}",
            csrf.as_str()
        ),
    ] {
        let value = HeaderValue::from_str(&value)
            .map_err(|e| ApiError::internal("writing the session cookie", &e))?;
        headers.append(header::SET_COOKIE, value);
    }
    Ok((headers, Json(body)).into_response())
}

fn count_login(state: &AppState, outcome: &str) {
    state
        .metrics
        .logins
        .get_or_create(&crate::metrics::OutcomeLabels {
            outcome: outcome.to_owned(),
        })
        .inc();
}

/// A sign-in attempt to audit (a login or first-run setup), before anyone is a caller.
pub(crate) struct SignIn<'a> {
    pub action: &'a str,
    /// The user id tried.
    pub id: &'a str,
    /// What was presented: `password` or `setup-code`.
    pub credential: &'a str,
    pub ip: IpAddr,
    pub outcome: &'a str,
}

impl<'a> SignIn<'a> {
    fn login(id: &'a str, ip: IpAddr, outcome: &'a str) -> SignIn<'a> {
        SignIn {
            action: "login",
            id,
            credential: "password",
            ip,
            outcome,
        }
    }
}

pub(crate) async fn audit_sign_in(state: &AppState, attempt: SignIn<'_>) {
    let event = AuditEvent {
        at: OffsetDateTime::now_utc(),
        actor: if attempt.outcome == "success" {
            attempt.id.to_owned()
        } else {
            "-".to_owned()
        },
        credential: attempt.credential.into(),
        source: attempt.ip.to_string(),
        action: attempt.action.into(),
        target: kabuto_types::text::terminal_safe(attempt.id).into_owned(),
        outcome: attempt.outcome.into(),
        detail: "{}".into(),
    };
    if let Err(e) = state.store.append_audit(&event).await {
        tracing::error!(error = %crate::error::chain(&e), action = attempt.action, "cannot record a sign-in");
    }
}

pub async fn logout(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    headers: HeaderMap,
) -> ApiResult<Response> {
    if caller.credential == Credential::Session
        && let Some(token) = session_token(&headers)
    {
        state
            .store
            .delete_session(token.hash().as_str(), OffsetDateTime::now_utc())
            .await?;
    }
    let audit = Audit {
        action: "logout",
        target: caller.user.as_str(),
        outcome: "success",
        detail: serde_json::json!({}),
    };
    record(&state, &caller, audit).await;
    let mut headers = HeaderMap::new();
    for name in [SESSION_COOKIE, CSRF_COOKIE] {
        if let Ok(value) = HeaderValue::from_str(&format!("{name}=; Path=/; Max-Age=0")) {
            headers.append(header::SET_COOKIE, value);
        }
    }
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

pub async fn me(caller: Caller) -> Json<UserInfo> {
    Json(UserInfo {
        id: caller.user.to_string(),
        role: caller.role,
    })
}

fn user_info(user: &UserRow) -> ApiResult<UserInfo> {
    Ok(UserInfo {
        id: user.id.clone(),
        role: user
            .role
            .parse()
            .map_err(|e: kabuto_auth::AuthError| ApiError::internal("reading a stored role", &e))?,
    })
}

pub async fn users(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<Vec<UserInfo>>> {
    caller.require(Permission::ManageUsers)?;
    let users = state.store.users().await?;
    Ok(Json(users.iter().map(user_info).collect::<ApiResult<_>>()?))
}

pub async fn create_user(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<UserInfo>)> {
    let target = body.peek("id").unwrap_or_else(|| "-".to_owned());
    authorize(
        &state,
        &caller,
        Permission::ManageUsers,
        "user.create",
        &target,
    )
    .await?;
    let request: NewUser = body.parse()?;
    let id =
        UserId::try_from(request.id.clone()).map_err(|e| ApiError::field("id", e.to_string()))?;
    let hash = match request.password {
        Some(text) => Some(hash_password(text).await?),
        None => None,
    };
    let now = OffsetDateTime::now_utc();
    state
        .store
        .create_user(
            id.as_str(),
            request.role.as_str(),
            hash.as_ref().map(PasswordHash::as_str),
            now,
        )
        .await?;
    let audit = Audit {
        action: "user.create",
        target: id.as_str(),
        outcome: "success",
        detail: serde_json::json!({ "role": request.role }),
    };
    record(&state, &caller, audit).await;
    Ok((
        StatusCode::CREATED,
        Json(UserInfo {
            id: id.to_string(),
            role: request.role,
        }),
    ))
}

/// A checked password's argon2id hash (hashing is CPU work: off the async threads).
pub async fn hash_password(text: String) -> ApiResult<PasswordHash> {
    let password = Password::new(text).map_err(|e| ApiError::field("password", e.to_string()))?;
    tokio::task::spawn_blocking(move || PasswordHash::new(&password))
        .await
        .map_err(|e| ApiError::internal("hashing the password", &e))?
        .map_err(|e| ApiError::internal("hashing the password", &e))
}

pub async fn delete_user(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    authorize(&state, &caller, Permission::ManageUsers, "user.delete", &id).await?;
    if id == caller.user.as_str() {
        return Err(ApiError::conflict("a user cannot delete themselves"));
    }
    if !state.store.delete_user(&id).await? {
        return Err(ApiError::not_found(format!("no user {id}")));
    }
    let audit = Audit {
        action: "user.delete",
        target: &id,
        outcome: "success",
        detail: serde_json::json!({}),
    };
    record(&state, &caller, audit).await;
    Ok(StatusCode::NO_CONTENT)
}

pub async fn set_password(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
    body: JsonBody,
) -> ApiResult<StatusCode> {
    if id != caller.user.as_str() {
        authorize(
            &state,
            &caller,
            Permission::ManageUsers,
            "user.password",
            &id,
        )
        .await?;
    }
    let change: PasswordChange = body.parse()?;
    let hash = hash_password(change.password).await?;
    if !state.store.set_password(&id, hash.as_str()).await? {
        return Err(ApiError::not_found(format!("no user {id}")));
    }
    let audit = Audit {
        action: "user.password",
        target: &id,
        outcome: "success",
        detail: serde_json::json!({}),
    };
    record(&state, &caller, audit).await;
    Ok(StatusCode::NO_CONTENT)
}

fn token_info(row: TokenRow) -> TokenInfo {
    TokenInfo {
        id: row.id,
        name: row.name,
        user: row.user_id,
        prefix: row.prefix,
        created: rfc3339(row.created_at),
        revoked: row.revoked_at.map(rfc3339),
    }
}

pub async fn tokens(
    State(state): State<Arc<AppState>>,
    caller: Caller,
) -> ApiResult<Json<Vec<TokenInfo>>> {
    let whose = if caller.role.allows(Permission::ManageUsers) {
        None
    } else {
        caller.require(Permission::ManageOwnTokens)?;
        Some(caller.user.as_str())
    };
    let rows = state.store.tokens(whose).await?;
    Ok(Json(rows.into_iter().map(token_info).collect()))
}

pub async fn create_token(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    body: JsonBody,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let owner = body.peek("user").unwrap_or_else(|| caller.user.to_string());
    let permission = if owner == caller.user.as_str() {
        Permission::ManageOwnTokens
    } else {
        Permission::ManageUsers
    };
    authorize(&state, &caller, permission, "token.create", &owner).await?;
    let request: NewTokenRequest = body.parse()?;
    // The permission was picked from a peek at `user`; the parsed body must agree.
    if request.user.as_deref().is_some_and(|user| user != owner) {
        return Err(ApiError::field("user", "give `user` once"));
    }
    if request.name.trim().is_empty() || request.name.len() > 200 {
        return Err(ApiError::field(
            "name",
            "a token needs a name of 1 to 200 characters",
        ));
    }
    if state.store.user(&owner).await?.is_none() {
        return Err(ApiError::field("user", format!("no user {owner}")));
    }
    let token = ApiToken::generate();
    let now = OffsetDateTime::now_utc();
    let id = uuid::Uuid::new_v4().to_string();
    let hash = token.hash();
    let new = NewToken {
        id: &id,
        user_id: &owner,
        name: &request.name,
        token_hash: hash.as_str(),
        prefix: token.display_prefix(),
        created_at: now,
    };
    state.store.create_token(&new).await?;
    let audit = Audit {
        action: "token.create",
        target: &owner,
        outcome: "success",
        detail: serde_json::json!({ "token": id, "name": request.name, "prefix": token.display_prefix() }),
    };
    record(&state, &caller, audit).await;
    let info = TokenInfo {
        id,
        name: request.name,
        user: owner,
        prefix: token.display_prefix().to_owned(),
        created: rfc3339(now),
        revoked: None,
    };
    Ok((
        StatusCode::CREATED,
        Json(CreatedToken {
            info,
            token: token.as_str().to_owned(),
        }),
    ))
}

pub async fn revoke_token(
    State(state): State<Arc<AppState>>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let row = state
        .store
        .token(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("no token {id}")))?;
    let permission = if row.user_id == caller.user.as_str() {
        Permission::ManageOwnTokens
    } else {
        Permission::ManageUsers
    };
    authorize(&state, &caller, permission, "token.revoke", &id).await?;
    if !state
        .store
        .revoke_token(&id, OffsetDateTime::now_utc())
        .await?
    {
        return Err(ApiError::conflict(format!(
            "token {id} was already revoked"
        )));
    }
    let audit = Audit {
        action: "token.revoke",
        target: &id,
        outcome: "success",
        detail: serde_json::json!({ "user": row.user_id, "prefix": row.prefix }),
    };
    record(&state, &caller, audit).await;
    Ok(StatusCode::NO_CONTENT)
}
