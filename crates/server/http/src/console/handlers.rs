//! One handler per console page: the query as the API takes it, the API handler's answer,
//! the page.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use kabuto_api::ScanReport;
use kabuto_api::server::{AuditEntry, Page};
use kabuto_auth::Permission;
use kabuto_console::pages::settings::{OutputLine, Settings};
use kabuto_console::{ListQuery, pages};
use serde::de::DeserializeOwned;

use super::{PageError, Session};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Params, console_session};
use crate::routes::{
    dashboard, images, policies, registries, risks, runtime, session, setup, system,
};
use crate::state::AppState;

type PageResult = Result<Response, PageError>;

fn html(markup: maud::Markup) -> PageResult {
    Ok(Html(markup.into_string()).into_response())
}

/// The page's query as the API handler's parameters (the console's own `tab` left out).
fn api_params<T: DeserializeOwned>(query: &ListQuery) -> ApiResult<Params<T>> {
    params_of(&query.api_pairs())
}

fn params_of<T: DeserializeOwned>(pairs: &[(String, String)]) -> ApiResult<Params<T>> {
    let text = serde_urlencoded::to_string(pairs)
        .map_err(|e| ApiError::bad_request(format!("invalid query: {e}")))?;
    serde_urlencoded::from_str(&text)
        .map(Params)
        .map_err(|e| ApiError::bad_request(format!("invalid query parameters: {e}")))
}

/// The server waits for its administrator (started without a password on an empty store).
async fn setup_needed(state: &AppState) -> Result<bool, PageError> {
    setup::setup_status(state)
        .await
        .map(|status| status.needed)
        .map_err(|e| PageError::Api(Box::new((None, e))))
}

pub async fn login(State(state): State<Arc<AppState>>, request: Request) -> PageResult {
    let (parts, _) = request.into_parts();
    if setup_needed(&state).await? {
        return Ok(Redirect::to("/setup").into_response());
    }
    if let Ok(Some(_)) = console_session(&state, &parts).await {
        return Ok(Redirect::to("/").into_response());
    }
    html(pages::login::render(None))
}

pub async fn setup(State(state): State<Arc<AppState>>) -> PageResult {
    if !setup_needed(&state).await? {
        return Ok(Redirect::to("/login").into_response());
    }
    html(pages::login::setup())
}

pub async fn images(
    State(state): State<Arc<AppState>>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let query = ListQuery::new("/images", raw.as_deref());
    let answer = async {
        let params = api_params(&query)?;
        images::list(State(state), session.caller.clone(), params).await
    }
    .await
    .map_err(PageError::of(&session))?;
    html(pages::images::render(&session.viewer, &query, &answer.0))
}

pub async fn image(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path((registry, name)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let path = format!("/images/{}/{}", pages::images::encode(&registry), name);
    let query = ListQuery::new(&path, raw.as_deref());
    let (detail, report) = async {
        session.caller.require(Permission::Read)?;
        let (detail, bytes) = images::detail_parts(&state, &registry, &name).await?;
        let report = bytes
            .map(|b| {
                serde_json::from_slice::<ScanReport>(&b)
                    .map_err(|e| ApiError::internal("reading a stored report", &e))
            })
            .transpose()?;
        Ok::<_, ApiError>((detail, report))
    }
    .await
    .map_err(PageError::of(&session))?;
    html(pages::image::render(
        &session.viewer,
        &query,
        &detail,
        report.as_ref(),
    ))
}

pub async fn acknowledged(State(state): State<Arc<AppState>>, session: Session) -> PageResult {
    let acks = risks::acks(State(state), session.caller.clone())
        .await
        .map_err(PageError::of(&session))?;
    html(pages::vulnerabilities::acknowledgements(
        &session.viewer,
        &acks.0.result,
    ))
}

pub async fn policies(State(state): State<Arc<AppState>>, session: Session) -> PageResult {
    let list = policies::list::<policies::Image>(State(state), session.caller.clone())
        .await
        .map_err(PageError::of(&session))?;
    let templates = policies::templates(session.caller.clone())
        .await
        .map_err(PageError::of(&session))?;
    html(pages::policies::list(
        &session.viewer,
        &list.0,
        &templates.0,
    ))
}

#[derive(serde::Deserialize)]
pub struct NewPolicy {
    template: Option<String>,
}

pub async fn new_policy(
    session: Session,
    axum::extract::Query(new): axum::extract::Query<NewPolicy>,
) -> PageResult {
    let template = new.template.unwrap_or_else(|| "default".to_owned());
    let document = policies::template(session.caller.clone(), Path(template))
        .await
        .map_err(PageError::of(&session))?;
    html(pages::policies::editor(&session.viewer, &document.0, true))
}

pub async fn policy(
    State(state): State<Arc<AppState>>,
    session: Session,
    Path(name): Path<String>,
) -> PageResult {
    let document =
        policies::get_one::<policies::Image>(State(state), session.caller.clone(), Path(name))
            .await
            .map_err(PageError::of(&session))?;
    html(pages::policies::editor(&session.viewer, &document.0, false))
}

async fn audit_page(
    state: Arc<AppState>,
    session: &Session,
    query: &ListQuery,
) -> ApiResult<Page<AuditEntry>> {
    let params = api_params(query)?;
    Ok(system::audit(State(state), session.caller.clone(), params)
        .await?
        .0)
}

pub async fn audit(
    State(state): State<Arc<AppState>>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let query = ListQuery::new("/audit", raw.as_deref());
    let page = audit_page(state, &session, &query)
        .await
        .map_err(PageError::of(&session))?;
    html(pages::audit::render(&session.viewer, &query, &page))
}

/// Runtime protection: the runtime policies, the enforcers, and the runtime events the
/// page's filters pick from the audit log.
pub async fn runtime_page(
    State(state): State<Arc<AppState>>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let query = ListQuery::new("/runtime", raw.as_deref());
    let policies =
        policies::list::<runtime::Runtime>(State(Arc::clone(&state)), session.caller.clone())
            .await
            .map_err(PageError::of(&session))?;
    let enforcers = runtime::enforcers(State(Arc::clone(&state)), session.caller.clone())
        .await
        .map_err(PageError::of(&session))?;
    let params =
        params_of(&pages::runtime::audit_filters(&query)).map_err(PageError::of(&session))?;
    let events = system::audit(State(state), session.caller.clone(), params)
        .await
        .map_err(PageError::of(&session))?;
    let shown = pages::runtime::Runtime {
        policies: &policies.0,
        enforcers: &enforcers.0,
        events: &events.0,
    };
    html(pages::runtime::render(&session.viewer, &query, &shown))
}

/// Most audit records one export holds.
const EXPORT_LIMIT: i64 = 100_000;
const EXPORT_PAGE: i64 = 1_000;

/// Every record the filters match (up to [`EXPORT_LIMIT`]), newest first.
async fn audit_export(
    state: Arc<AppState>,
    session: &Session,
    raw: Option<&str>,
) -> ApiResult<Vec<AuditEntry>> {
    let mut filters = ListQuery::new("/audit", raw).api_pairs();
    filters.retain(|(k, _)| k != "page" && k != "pagesize");
    let mut all = Vec::new();
    for page in 1..=EXPORT_LIMIT / EXPORT_PAGE {
        let mut pairs = filters.clone();
        pairs.push(("page".into(), page.to_string()));
        pairs.push(("pagesize".into(), EXPORT_PAGE.to_string()));
        let got = system::audit(
            State(Arc::clone(&state)),
            session.caller.clone(),
            params_of(&pairs)?,
        )
        .await?
        .0;
        let done = got.result.len() < EXPORT_PAGE as usize;
        all.extend(got.result);
        if done {
            break;
        }
    }
    Ok(all)
}

pub async fn audit_json(
    State(state): State<Arc<AppState>>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let entries = audit_export(state, &session, raw.as_deref())
        .await
        .map_err(PageError::of(&session))?;
    Ok((
        [(
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"kabuto-audit.json\"",
        )],
        Json(entries),
    )
        .into_response())
}

pub async fn audit_csv(
    State(state): State<Arc<AppState>>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let entries = audit_export(state, &session, raw.as_deref())
        .await
        .map_err(PageError::of(&session))?;
    let csv = audit_csv_text(&entries).map_err(PageError::of(&session))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"kabuto-audit.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

/// The records as CSV. A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`
/// first) is prefixed with `'`, so an attacker-chosen image name cannot run in it.
fn audit_csv_text(entries: &[AuditEntry]) -> ApiResult<Vec<u8>> {
    let fail = |e: csv::Error| ApiError::internal("writing the CSV export", &e);
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "id",
        "time",
        "user",
        "credential",
        "source",
        "action",
        "target",
        "result",
        "detail",
    ])
    .map_err(fail)?;
    for e in entries {
        let detail = e.detail.to_string();
        let cells = [
            e.id.to_string(),
            e.time.clone(),
            e.user.clone(),
            e.credential.clone(),
            e.source.clone(),
            e.action.clone(),
            e.target.clone(),
            e.result.clone(),
            detail,
        ];
        out.write_record(cells.iter().map(|c| spreadsheet_safe(c)))
            .map_err(fail)?;
    }
    out.into_inner()
        .map_err(|e| ApiError::internal("writing the CSV export", e.error()))
}

fn spreadsheet_safe(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

pub async fn users(State(state): State<Arc<AppState>>, session: Session) -> PageResult {
    let users = if session.caller.role.allows(Permission::ManageUsers) {
        Some(
            session::users(State(Arc::clone(&state)), session.caller.clone())
                .await
                .map_err(PageError::of(&session))?
                .0,
        )
    } else {
        None
    };
    let tokens = if session.caller.role.allows(Permission::ManageOwnTokens) {
        session::tokens(State(state), session.caller.clone())
            .await
            .map_err(PageError::of(&session))?
            .0
    } else {
        Vec::new()
    };
    html(pages::users::render(
        &session.viewer,
        users.as_deref(),
        &tokens,
    ))
}

pub async fn settings(State(state): State<Arc<AppState>>, session: Session) -> PageResult {
    let caller = &session.caller;
    let on_error = PageError::of(&session);
    let parts = async {
        let database = system::database(State(Arc::clone(&state)), caller.clone())
            .await?
            .0;
        let registries = registries::list(State(Arc::clone(&state)), caller.clone())
            .await?
            .0;
        let jobs = registries::jobs(
            State(Arc::clone(&state)),
            caller.clone(),
            params_of(&[("pagesize".to_owned(), "10".to_owned())])?,
        )
        .await?
        .0;
        let outputs: Vec<OutputLine> = state
            .store
            .outputs()
            .await?
            .into_iter()
            .map(|row| OutputLine {
                name: row.name,
                kind: row.kind,
                enabled: row.enabled,
                triggers: row.triggers,
            })
            .collect();
        Ok::<_, ApiError>((database, registries, jobs, outputs))
    }
    .await
    .map_err(on_error)?;
    let (database, registries, jobs, outputs) = parts;
    let settings = Settings {
        database: &database,
        registries: Some(&registries),
        jobs: Some(&jobs),
        outputs: Some(&outputs),
    };
    html(pages::settings::render(&session.viewer, &settings))
}

pub async fn dashboard(State(state): State<Arc<AppState>>, session: Session) -> PageResult {
    let figures = dashboard::dashboard(State(state), session.caller.clone())
        .await
        .map_err(PageError::of(&session))?;
    html(pages::dashboard::render(&session.viewer, &figures.0))
}

pub async fn vulnerabilities(
    State(state): State<Arc<AppState>>,
    session: Session,
    RawQuery(raw): RawQuery,
) -> PageResult {
    let query = ListQuery::new("/vulnerabilities", raw.as_deref());
    let (groups, occurrences) = async {
        let groups = risks::grouped(
            State(Arc::clone(&state)),
            session.caller.clone(),
            api_params(&query)?,
        )
        .await?
        .0;
        // One id searched for exactly: where it is, to acknowledge there.
        let exact = query.get("search").and_then(|s| {
            groups
                .result
                .iter()
                .find(|g| g.name.eq_ignore_ascii_case(s.trim()))
        });
        let occurrences = match exact {
            Some(group) => {
                let mut pairs = vec![
                    ("name".to_owned(), group.name.clone()),
                    ("pagesize".to_owned(), "100".to_owned()),
                ];
                for key in ["severity", "acknowledged"] {
                    if let Some(value) = query.get(key) {
                        pairs.push((key.to_owned(), value.to_owned()));
                    }
                }
                let page = risks::vulnerabilities(
                    State(state),
                    session.caller.clone(),
                    params_of(&pairs)?,
                )
                .await?;
                Some(page.0)
            }
            None => None,
        };
        Ok::<_, ApiError>((groups, occurrences))
    }
    .await
    .map_err(PageError::of(&session))?;
    html(pages::vulnerabilities::render(
        &session.viewer,
        &query,
        &groups,
        occurrences.as_ref(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_quoted() {
        for formula in ["=1+1", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx"] {
            assert!(spreadsheet_safe(formula).starts_with('\''), "{formula}");
        }
        assert_eq!(spreadsheet_safe("image.register"), "image.register");
    }
}
