//! The audit log: append-only (the schema refuses UPDATE and DELETE with a trigger).

use sqlx::FromRow;
use time::OffsetDateTime;

use crate::sql::Sql;
use crate::{Page, PageRequest, Result, Store, at, query, seconds};

/// Something that happened, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: OffsetDateTime,
    /// The user id, or `-` when unknown (a failed login with an unknown id records the id
    /// tried in `target`).
    pub actor: String,
    /// How the actor authenticated: `password`, `token:<prefix>`, `session`, or `none`.
    pub credential: String,
    /// The client address.
    pub source: String,
    /// What was done (`login`, `image.scan`, `policy.update`, `ack.create`, `verdict.block`...).
    pub action: String,
    /// What it was done to.
    pub target: String,
    /// `success`, `failure`, `denied`, `blocked`.
    pub outcome: String,
    /// A JSON summary (before/after, counts, reason).
    pub detail: String,
}

/// A recorded event with its sequence number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub event: AuditEvent,
}

#[derive(FromRow)]
struct RawAudit {
    id: i64,
    at: i64,
    actor: String,
    credential: String,
    source: String,
    action: String,
    target: String,
    outcome: String,
    detail: String,
}

/// Filters of the audit log, newest first.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub actor: Option<String>,
    /// Actions starting with this (`policy.` for every policy change).
    pub action: Option<String>,
    /// Targets starting with this (`container 3f2a` for a runtime event's container).
    pub target: Option<String>,
    /// Runtime events of this host (the `host` of the event in the detail).
    pub host: Option<String>,
    pub outcome: Option<String>,
    pub since: Option<OffsetDateTime>,
    pub page: Option<PageRequest>,
}

const APPEND_AUDIT: &str = "INSERT INTO audit_events \
    (at, actor, credential, source, action, target, outcome, detail) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";

fn append_query(
    event: &AuditEvent,
) -> sqlx::query::QueryAs<'_, sqlx::Any, (i64,), sqlx::any::AnyArguments<'_>> {
    sqlx::query_as(APPEND_AUDIT)
        .bind(seconds(event.at))
        .bind(&event.actor)
        .bind(&event.credential)
        .bind(&event.source)
        .bind(&event.action)
        .bind(&event.target)
        .bind(&event.outcome)
        .bind(&event.detail)
}

impl Store {
    pub async fn append_audit(&self, event: &AuditEvent) -> Result<i64> {
        let (id,) = append_query(event)
            .fetch_one(&self.pool)
            .await
            .map_err(query("append audit event"))?;
        Ok(id)
    }

    /// Appends events in one transaction: all or none (an enforcer's batch).
    pub async fn append_audit_batch(&self, events: &[AuditEvent]) -> Result<()> {
        let mut tx = self.begin_write("begin audit batch").await?;
        for event in events {
            append_query(event)
                .fetch_one(&mut *tx)
                .await
                .map_err(query("append audit event"))?;
        }
        tx.commit().await.map_err(query("commit audit batch"))
    }

    pub async fn audit(&self, q: &AuditQuery) -> Result<Page<AuditRow>> {
        let page = q.page.unwrap_or(PageRequest::new(None, None));
        let mut count = Sql::new(
            self.backend,
            "SELECT COUNT(*) FROM audit_events WHERE 1 = 1",
        );
        audit_filters(&mut count, q);
        let (total,): (i64,) = count
            .query_as()
            .fetch_one(&self.pool)
            .await
            .map_err(query("count audit events"))?;
        let mut list = Sql::new(self.backend, "SELECT * FROM audit_events WHERE 1 = 1");
        audit_filters(&mut list, q);
        list.push(" ORDER BY id DESC LIMIT ")
            .bind(page.pagesize)
            .push(" OFFSET ")
            .bind(page.offset());
        let raw: Vec<RawAudit> = list
            .query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(query("list audit events"))?;
        let rows = raw
            .into_iter()
            .map(|r| AuditRow {
                id: r.id,
                event: AuditEvent {
                    at: at(r.at),
                    actor: r.actor,
                    credential: r.credential,
                    source: r.source,
                    action: r.action,
                    target: r.target,
                    outcome: r.outcome,
                    detail: r.detail,
                },
            })
            .collect();
        Ok(page.wrap(total, rows))
    }
}

fn audit_filters(q: &mut Sql, filter: &AuditQuery) {
    if let Some(actor) = &filter.actor {
        q.push(" AND actor = ").bind(actor.clone());
    }
    if let Some(action) = &filter.action {
        q.push(" AND action LIKE ")
            .bind(format!("{}%", like_literal(action)))
            .push(LIKE_ESCAPE);
    }
    if let Some(target) = &filter.target {
        q.push(" AND target LIKE ")
            .bind(format!("{}%", like_literal(target)))
            .push(LIKE_ESCAPE);
    }
    if let Some(host) = &filter.host {
        // The detail is the server's own compact JSON text of the event.
        let field = format!("\"host\":{}", serde_json::Value::from(host.as_str()));
        q.push(" AND detail LIKE ")
            .bind(format!("%{}%", like_literal(&field)))
            .push(LIKE_ESCAPE);
    }
    if let Some(outcome) = &filter.outcome {
        q.push(" AND outcome = ").bind(outcome.clone());
    }
    if let Some(since) = filter.since {
        q.push(" AND at >= ").bind(seconds(since));
    }
}

/// The escape character of [`like_literal`]'s patterns.
const LIKE_ESCAPE: &str = " ESCAPE '!'";

/// `text` matched literally in a `LIKE` pattern (`_`, as in `runtime_policy.`, is no
/// wildcard).
fn like_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
    }
    out
}
