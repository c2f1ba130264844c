//! The risk picture over every image, for the console's dashboard: counts by severity
//! computed in SQL (never by loading rows), one recorded day per row for the trend, and the
//! vulnerabilities grouped by id across images.

use std::collections::HashMap;

use sqlx::FromRow;
use time::OffsetDateTime;

use crate::images::{VulnerabilityQuery, vulnerability_filters};
use crate::sql::Sql;
use crate::{Page, PageRequest, Result, Store, StoreError, query};

/// Counts by severity; `other` is negligible, unknown, or none.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, FromRow)]
pub struct RiskCountsRow {
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
    pub other: i64,
}

/// Every image at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RiskSummary {
    /// Registered images, scanned or not.
    pub images: i64,
    pub scanned: i64,
    pub disallowed: i64,
    /// Scanned images by their worst vulnerability (`other`: none above low).
    pub images_by_risk: RiskCountsRow,
    /// The images' vulnerability counts summed, by severity.
    pub vulnerabilities: RiskCountsRow,
}

/// One recorded day of the trend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskDay {
    /// `YYYY-MM-DD` (UTC).
    pub day: String,
    pub images: i64,
    pub disallowed: i64,
    pub vulnerabilities: RiskCountsRow,
}

/// One vulnerability id over the images the filters keep.
#[derive(Debug, Clone, PartialEq)]
pub struct VulnerabilityGroupRow {
    pub issue_name: String,
    /// The highest severity among its rows.
    pub severity: String,
    pub score: Option<f64>,
    pub images: i64,
    /// Distinct `name version` of its packages, at most [`GROUP_PACKAGES`].
    pub packages: Vec<String>,
    pub fix_version: Option<String>,
    pub acknowledged: i64,
    pub occurrences: i64,
}

/// Packages listed per group.
pub const GROUP_PACKAGES: usize = 10;

/// How vulnerability groups are sorted (the name breaks ties).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupOrder {
    /// By images affected.
    #[default]
    Images,
    Severity,
    Name,
}

/// Filters (the cross-image vulnerability list's), order and page of the groups.
#[derive(Debug, Clone, Default)]
pub struct VulnerabilityGroupQuery {
    pub filter: VulnerabilityQuery,
    pub order: GroupOrder,
    pub descending: bool,
}

/// The worst severity of an image's counts: 5 critical .. 2 low, 1 none of these, -1 not
/// scanned.
const WORST_SEVERITY: &str = "CASE WHEN scan_id IS NULL THEN -1 WHEN critical > 0 THEN 5 \
    WHEN high > 0 THEN 4 WHEN medium > 0 THEN 3 WHEN low > 0 THEN 2 ELSE 1 END";

/// `SUM(expr)` as a BIGINT that is 0 over no rows (PostgreSQL sums BIGINT to NUMERIC).
fn total(expr: &str) -> String {
    format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)")
}

/// The images' vulnerability counts summed: critical, high, medium, low, other.
fn vulnerability_totals() -> [String; 5] {
    ["critical", "high", "medium", "low", "negligible + unknown"].map(total)
}

/// Scanned images counted by their worst severity: critical, high, medium, low, other.
fn worst_severity_counts() -> [String; 5] {
    [5, 4, 3, 2, 1].map(|rank| {
        total(&format!(
            "CASE WHEN {WORST_SEVERITY} = {rank} THEN 1 ELSE 0 END"
        ))
    })
}

/// Select-list entries, each with its alias.
fn aliased(expressions: [String; 5], aliases: [&str; 5]) -> String {
    expressions
        .iter()
        .zip(aliases)
        .map(|(expr, alias)| format!("{expr} AS {alias}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(FromRow)]
struct RawSummary {
    images: i64,
    scanned: i64,
    disallowed: i64,
    worst_critical: i64,
    worst_high: i64,
    worst_medium: i64,
    worst_low: i64,
    worst_other: i64,
    critical: i64,
    high: i64,
    medium: i64,
    low: i64,
    other: i64,
}

#[derive(FromRow)]
struct RawDay {
    day: String,
    images: i64,
    disallowed: i64,
    #[sqlx(flatten)]
    vulnerabilities: RiskCountsRow,
}

#[derive(FromRow)]
struct RawGroup {
    issue_name: String,
    top_rank: i64,
    /// The lowest severity name: tells negligible from unknown when no row ranks above them.
    low_name: String,
    score: Option<f64>,
    images: i64,
    fix_version: Option<String>,
    acknowledged: i64,
    occurrences: i64,
}

impl Store {
    /// Counts over every image, in one pass over `images`.
    pub async fn risk_summary(&self) -> Result<RiskSummary> {
        let sql = format!(
            "SELECT COUNT(*) AS images, {scanned} AS scanned, {disallowed} AS disallowed, \
             {worst}, {vulnerabilities} FROM images",
            scanned = total("CASE WHEN scan_id IS NULL THEN 0 ELSE 1 END"),
            disallowed = total("disallowed"),
            worst = aliased(
                worst_severity_counts(),
                [
                    "worst_critical",
                    "worst_high",
                    "worst_medium",
                    "worst_low",
                    "worst_other"
                ],
            ),
            vulnerabilities = aliased(
                vulnerability_totals(),
                ["critical", "high", "medium", "low", "other"],
            ),
        );
        let r: RawSummary = sqlx::query_as(&sql)
            .fetch_one(&self.pool)
            .await
            .map_err(query("risk summary"))?;
        Ok(RiskSummary {
            images: r.images,
            scanned: r.scanned,
            disallowed: r.disallowed,
            images_by_risk: RiskCountsRow {
                critical: r.worst_critical,
                high: r.worst_high,
                medium: r.worst_medium,
                low: r.worst_low,
                other: r.worst_other,
            },
            vulnerabilities: RiskCountsRow {
                critical: r.critical,
                high: r.high,
                medium: r.medium,
                low: r.low,
                other: r.other,
            },
        })
    }

    /// Writes (or overwrites) the trend's row of `now`'s UTC day with the figures of every
    /// image now, in one statement.
    pub async fn record_risk_day(&self, now: OffsetDateTime) -> Result<()> {
        // `WHERE 1 = 1` tells SQLite's parser that ON CONFLICT is the upsert, not a join.
        let sql = format!(
            "INSERT INTO risk_history (day, images, disallowed, critical, high, medium, low, other) \
             SELECT $1, COUNT(*), {disallowed}, {vulnerabilities} FROM images WHERE 1 = 1 \
             ON CONFLICT (day) DO UPDATE SET images = excluded.images, \
             disallowed = excluded.disallowed, critical = excluded.critical, \
             high = excluded.high, medium = excluded.medium, low = excluded.low, \
             other = excluded.other",
            disallowed = total("disallowed"),
            vulnerabilities = vulnerability_totals().join(", "),
        );
        sqlx::query(&sql)
            .bind(utc_day(now)?)
            .execute(&self.pool)
            .await
            .map_err(query("record risk day"))?;
        Ok(())
    }

    /// The last `days` recorded days, oldest first.
    pub async fn risk_history(&self, days: i64) -> Result<Vec<RiskDay>> {
        let rows: Vec<RawDay> = sqlx::query_as(
            "SELECT * FROM (SELECT day, images, disallowed, critical, high, medium, low, other \
             FROM risk_history ORDER BY day DESC LIMIT $1) AS recent ORDER BY day",
        )
        .bind(days)
        .fetch_all(&self.pool)
        .await
        .map_err(query("read risk history"))?;
        Ok(rows
            .into_iter()
            .map(|r| RiskDay {
                day: r.day,
                images: r.images,
                disallowed: r.disallowed,
                vulnerabilities: r.vulnerabilities,
            })
            .collect())
    }

    /// The vulnerabilities the filters keep, one group per id, with up to
    /// [`GROUP_PACKAGES`] of each group's packages. In steps, so that 1.6 M rows stay
    /// fast: the page's ids are found over the covering index `(issue_name, image_id, ...)`
    /// alone, then only their rows are summed.
    pub async fn vulnerability_groups(
        &self,
        q: &VulnerabilityGroupQuery,
    ) -> Result<Page<VulnerabilityGroupRow>> {
        let page = q.filter.page.unwrap_or(PageRequest::new(None, None));
        let mut count = Sql::new(
            self.backend,
            &format!(
                "SELECT COUNT(*) FROM (SELECT DISTINCT v.issue_name {}",
                group_source(&q.filter)
            ),
        );
        vulnerability_filters(&mut count, &q.filter);
        count.push(") AS ids");
        let (groups,): (i64,) = count
            .query_as()
            .fetch_one(&self.pool)
            .await
            .map_err(query("count vulnerability groups"))?;
        Ok(page.wrap(groups, self.vulnerability_group_rows(q).await?))
    }

    /// The groups of [`Store::vulnerability_groups`]'s page without the count of all groups
    /// (which costs as much again at scale): the dashboard's top list.
    pub async fn vulnerability_group_rows(
        &self,
        q: &VulnerabilityGroupQuery,
    ) -> Result<Vec<VulnerabilityGroupRow>> {
        let page = q.filter.page.unwrap_or(PageRequest::new(None, None));
        let names = self.group_page(q, page).await?;
        let mut totals = self.group_totals(&q.filter, &names).await?;
        let mut packages = self.group_packages(&q.filter, &names).await?;
        Ok(names
            .iter()
            .filter_map(|name| totals.remove(name))
            .map(|r| VulnerabilityGroupRow {
                packages: packages.remove(&r.issue_name).unwrap_or_default(),
                severity: severity_of(r.top_rank, r.low_name),
                issue_name: r.issue_name,
                score: r.score,
                images: r.images,
                fix_version: r.fix_version,
                acknowledged: r.acknowledged,
                occurrences: r.occurrences,
            })
            .collect())
    }

    /// The ids on the page, in order.
    async fn group_page(
        &self,
        q: &VulnerabilityGroupQuery,
        page: PageRequest,
    ) -> Result<Vec<String>> {
        let mut list = Sql::new(
            self.backend,
            &format!("SELECT v.issue_name {}", group_source(&q.filter)),
        );
        vulnerability_filters(&mut list, &q.filter);
        let dir = if q.descending { "DESC" } else { "ASC" };
        let order = match q.order {
            GroupOrder::Images => format!("COUNT(DISTINCT v.image_id) {dir}, v.issue_name"),
            // Ties by name, not images: a second aggregate doubles the cost at scale.
            GroupOrder::Severity => format!("MAX(v.severity_rank) {dir}, v.issue_name"),
            GroupOrder::Name => format!("v.issue_name {dir}"),
        };
        list.push(" GROUP BY v.issue_name ORDER BY ")
            .push(&order)
            .push(" LIMIT ")
            .bind(page.pagesize)
            .push(" OFFSET ")
            .bind(page.offset());
        let names: Vec<(String,)> = list
            .query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(query("list vulnerability groups"))?;
        Ok(names.into_iter().map(|(name,)| name).collect())
    }

    /// The sums of the listed ids' rows (the filters applied), by id.
    async fn group_totals(
        &self,
        filter: &VulnerabilityQuery,
        names: &[String],
    ) -> Result<HashMap<String, RawGroup>> {
        if names.is_empty() {
            return Ok(HashMap::new());
        }
        let mut list = Sql::new(
            self.backend,
            &format!(
                "SELECT v.issue_name, MAX(v.severity_rank) AS top_rank, \
                 MIN(v.severity) AS low_name, MAX(v.score) AS score, \
                 COUNT(DISTINCT v.image_id) AS images, MAX(v.fix_version) AS fix_version, \
                 {acknowledged} AS acknowledged, COUNT(*) AS occurrences {from}",
                acknowledged = total("v.acknowledged"),
                from = group_source(filter),
            ),
        );
        vulnerability_filters(&mut list, filter);
        among(&mut list, names);
        list.push(" GROUP BY v.issue_name");
        let rows: Vec<RawGroup> = list
            .query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(query("sum vulnerability groups"))?;
        Ok(rows
            .into_iter()
            .map(|r| (r.issue_name.clone(), r))
            .collect())
    }

    /// The distinct packages of each listed id (the filters applied), at most
    /// [`GROUP_PACKAGES`] each.
    async fn group_packages(
        &self,
        filter: &VulnerabilityQuery,
        names: &[String],
    ) -> Result<HashMap<String, Vec<String>>> {
        let mut packages: HashMap<String, Vec<String>> = HashMap::new();
        if names.is_empty() {
            return Ok(packages);
        }
        let mut list = Sql::new(
            self.backend,
            &format!(
                "SELECT DISTINCT v.issue_name, v.resource_name, v.resource_version {}",
                group_source(filter)
            ),
        );
        vulnerability_filters(&mut list, filter);
        among(&mut list, names);
        list.push(" ORDER BY v.issue_name, v.resource_name, v.resource_version");
        let rows: Vec<(String, String, String)> = list
            .query_as()
            .fetch_all(&self.pool)
            .await
            .map_err(query("list vulnerability group packages"))?;
        for (issue, name, version) in rows {
            let listed = packages.entry(issue).or_default();
            if listed.len() < GROUP_PACKAGES {
                listed.push(format!("{name} {version}"));
            }
        }
        Ok(packages)
    }
}

/// The rows a group query reads: the images joined only when a filter needs them (the
/// join costs a lookup per row).
fn group_source(filter: &VulnerabilityQuery) -> &'static str {
    if filter.image_name.is_some() || filter.registry_name.is_some() {
        "FROM image_vulnerabilities v JOIN images i ON i.id = v.image_id WHERE 1 = 1"
    } else {
        "FROM image_vulnerabilities v WHERE 1 = 1"
    }
}

/// ` AND v.issue_name IN (...)` of `names` (a page: at most 1,000).
fn among(q: &mut Sql, names: &[String]) {
    q.push(" AND v.issue_name IN (");
    for (n, name) in names.iter().enumerate() {
        q.push(if n == 0 { "" } else { ", " }).bind(name.clone());
    }
    q.push(")");
}

/// A group's severity name from its highest rank; below low the rank does not tell
/// negligible from unknown, so the lowest name does (`negligible` sorts first).
fn severity_of(top_rank: i64, low_name: String) -> String {
    match top_rank {
        5 => "critical".into(),
        4 => "high".into(),
        3 => "medium".into(),
        2 => "low".into(),
        _ => low_name,
    }
}

/// `now`'s UTC day as `YYYY-MM-DD`.
fn utc_day(now: OffsetDateTime) -> Result<String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    now.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .map_err(|e| StoreError::Damaged {
            what: "risk day".into(),
            message: e.to_string(),
        })
}
