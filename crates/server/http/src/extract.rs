//! What every handler gets from a request: the authenticated caller (bearer token, session
//! token, or session cookie with its CSRF header for writes), and JSON bodies parsed
//! strictly (size limit, content type, unknown fields refused, errors naming the field).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Query;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use kabuto_auth::{ApiToken, Permission, Role, SessionToken, UserId};
use serde::de::DeserializeOwned;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The session cookie the console uses; its CSRF twin is readable by the page's script.
pub const SESSION_COOKIE: &str = "kabuto_session";
pub const CSRF_COOKIE: &str = "kabuto_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// An API token, named by its prefix.
    Token(String),
    Session,
    /// The server itself (its registry scan workers).
    Server,
}

impl Credential {
    pub fn audit_name(&self) -> String {
        match self {
            Credential::Token(prefix) => format!("token:{prefix}"),
            Credential::Session => "session".to_owned(),
            Credential::Server => "server".to_owned(),
        }
    }
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: UserId,
    pub role: Role,
    pub credential: Credential,
    pub source: IpAddr,
}

impl Caller {
    /// The caller's role allows `permission`, or 403.
    pub fn require(&self, permission: Permission) -> ApiResult<()> {
        if self.role.allows(permission) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "role {} may not {}",
                self.role,
                permission_text(permission)
            )))
        }
    }
}

fn permission_text(permission: Permission) -> &'static str {
    match permission {
        Permission::Read => "read images, vulnerabilities, policies or the audit log",
        Permission::RegisterScans => "register scans",
        Permission::AskVerdict => "ask for verdicts",
        Permission::WritePolicies => "change assurance policies",
        Permission::WriteAcknowledgements => "change acknowledgements",
        Permission::ManageUsers => "manage users or their tokens",
        Permission::ManageOwnTokens => "manage API tokens",
        Permission::ReportEvents => "report enforcer events",
        Permission::ReadRuntimePolicies => "read runtime policies",
        Permission::ManageDatabase => "manage the vulnerability database",
        Permission::ManageIntegrations => "manage registry integrations or notification outputs",
    }
}

/// The client address (the TCP peer; the server does not trust forwarding headers).
pub fn client_ip(parts: &Parts) -> IpAddr {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::from([0, 0, 0, 0]), |ConnectInfo(addr)| addr.ip())
}

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> ApiResult<Caller> {
        let source = client_ip(parts);
        if let Some(bearer) = bearer(parts)? {
            return bearer_caller(state, &bearer, source).await;
        }
        let Some(cookie) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(ApiError::unauthorized(
                "log in first: send `Authorization: Bearer TOKEN` (an API token or the token \
                 POST /api/v1/login returns)",
            ));
        };
        let session = session_caller(state, &cookie, source).await?;
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let presented = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !session.1.matches(presented) {
                return Err(ApiError::forbidden(
                    "a write with the session cookie needs the X-CSRF-Token header (the \
                     kabuto_csrf cookie's value)",
                ));
            }
        }
        Ok(session.0)
    }
}

/// The session token a request carries (bearer or cookie), for logout.
pub fn session_token(headers: &HeaderMap) -> Option<SessionToken> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .map(|(_, t)| t.trim().to_owned());
    bearer
        .into_iter()
        .chain(cookie(headers, SESSION_COOKIE))
        .find_map(|text| SessionToken::parse(&text).ok())
}

fn bearer(parts: &Parts) -> ApiResult<Option<String>> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .map_err(|_| ApiError::unauthorized("the Authorization header is not text"))?;
    match text.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(ApiError::unauthorized(
            "the Authorization header must be `Bearer TOKEN`",
        )),
    }
}

async fn bearer_caller(state: &AppState, text: &str, source: IpAddr) -> ApiResult<Caller> {
    let invalid = || ApiError::unauthorized("the token is not valid (unknown, revoked or expired)");
    if text.starts_with("kbs_") {
        return Ok(session_caller(state, text, source).await?.0);
    }
    let token = ApiToken::parse(text).map_err(|_| invalid())?;
    let (user, row) = state
        .store
        .user_by_token(token.hash().as_str())
        .await?
        .ok_or_else(invalid)?;
    Ok(Caller {
        user: checked_user(&user.id)?,
        role: checked_role(&user.role)?,
        credential: Credential::Token(row.prefix),
        source,
    })
}

/// The caller of a console page: the session cookie only (pages are for browsers), with the
/// session's CSRF token for the page's forms. `None` when there is no valid session.
pub async fn console_session(
    state: &AppState,
    parts: &Parts,
) -> ApiResult<Option<(Caller, kabuto_auth::CsrfToken)>> {
    let Some(cookie) = cookie(&parts.headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    match session_caller(state, &cookie, client_ip(parts)).await {
        Ok(session) => Ok(Some(session)),
        Err(e) if e.status == axum::http::StatusCode::UNAUTHORIZED => Ok(None),
        Err(e) => Err(e),
    }
}

async fn session_caller(
    state: &AppState,
    text: &str,
    source: IpAddr,
) -> ApiResult<(Caller, kabuto_auth::CsrfToken)> {
    let expired = || ApiError::unauthorized("the session ended: log in again");
    let token = SessionToken::parse(text).map_err(|_| expired())?;
    let session = state
        .store
        .session(token.hash().as_str(), time::OffsetDateTime::now_utc())
        .await?
        .ok_or_else(expired)?;
    let csrf = kabuto_auth::CsrfToken::parse(&session.csrf_token).map_err(|_| expired())?;
    let caller = Caller {
        user: checked_user(&session.user.id)?,
        role: checked_role(&session.user.role)?,
        credential: Credential::Session,
        source,
    };
    Ok((caller, csrf))
}

fn checked_user(id: &str) -> ApiResult<UserId> {
    UserId::try_from(id.to_owned()).map_err(|e| ApiError::internal("reading a stored user", &e))
}

fn checked_role(role: &str) -> ApiResult<Role> {
    role.parse()
        .map_err(|e: kabuto_auth::AuthError| ApiError::internal("reading a stored role", &e))
}

/// A cookie's value from the `Cookie` headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_owned())
}

/// Body size limits: scan reports are large, everything else is small.
pub const SMALL_BODY: usize = 1 << 20;
pub const SCAN_BODY: usize = 256 << 20;

/// A JSON body of at most [`SMALL_BODY`] bytes, parsed strictly.
pub struct StrictJson<T>(pub T);

impl<T: DeserializeOwned> FromRequest<Arc<AppState>> for StrictJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &Arc<AppState>) -> ApiResult<StrictJson<T>> {
        let bytes = json_body(request, SMALL_BODY).await?;
        parse_json(&bytes).map(StrictJson)
    }
}

/// The body of a JSON request, refused when it is not JSON or over `limit` bytes.
pub async fn json_body(request: Request<Body>, limit: usize) -> ApiResult<axum::body::Bytes> {
    let body = JsonBody::read(request, limit).await?;
    body.check_json()?;
    Ok(body.bytes)
}

/// A request body of at most [`SMALL_BODY`] bytes, not parsed yet: handlers authorise the
/// caller first, so a caller without the right learns nothing about what the body should
/// hold.
pub struct JsonBody {
    bytes: axum::body::Bytes,
    json: bool,
}

impl JsonBody {
    async fn read(request: Request<Body>, limit: usize) -> ApiResult<JsonBody> {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let media = v.split(';').next().unwrap_or_default().trim();
                media.eq_ignore_ascii_case("application/json") || media.ends_with("+json")
            });
        let bytes = axum::body::to_bytes(request.into_body(), limit)
            .await
            .map_err(|_| ApiError::too_large(limit))?;
        Ok(JsonBody { bytes, json })
    }

    fn check_json(&self) -> ApiResult<()> {
        if self.json {
            Ok(())
        } else {
            Err(ApiError::unsupported_media_type())
        }
    }

    /// The body as `T`, strictly.
    pub fn parse<T: DeserializeOwned>(&self) -> ApiResult<T> {
        self.check_json()?;
        parse_json(&self.bytes)
    }

    /// A top-level string field, only to name the target of an audit record (or pick the
    /// permission) before the body is checked.
    pub fn peek(&self, field: &str) -> Option<String> {
        let value: serde_json::Value = serde_json::from_slice(&self.bytes).ok()?;
        value.get(field)?.as_str().map(str::to_owned)
    }
}

impl FromRequest<Arc<AppState>> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(request: Request, _: &Arc<AppState>) -> ApiResult<JsonBody> {
        JsonBody::read(request, SMALL_BODY).await
    }
}

/// `bytes` as `T`, an error naming the JSON field (`issues[2].expiration_days`) otherwise.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> ApiResult<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = format!("invalid JSON body: {inner}");
        if path == "." {
            ApiError::bad_request(message)
        } else {
            ApiError::field(path, message)
        }
    })?;
    de.end()
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))?;
    Ok(value)
}

/// Query parameters, refused with a message naming the parameter when they do not fit.
pub struct Params<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> ApiResult<Params<T>> {
        Query::<T>::try_from_uri(&parts.uri)
            .map(|Query(value)| Params(value))
            .map_err(|e| {
                ApiError::bad_request(format!("invalid query parameters: {}", e.body_text()))
            })
    }
}
