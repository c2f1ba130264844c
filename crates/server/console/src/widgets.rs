//! Pieces every list page shares: links that keep the filters, sort headers, the pager,
//! severity badges, empty and error states, and the charts (inline SVG, drawn here).

use kabuto_api::server::{Page, RiskCounts, TrendPoint};
use maud::{Markup, html};

/// A list page's query string as it came: links change one parameter and keep the rest, so
/// a filtered, sorted page survives reload and can be shared.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    path: String,
    pairs: Vec<(String, String)>,
}

impl ListQuery {
    pub fn new(path: &str, query: Option<&str>) -> ListQuery {
        let pairs = query
            .and_then(|q| serde_urlencoded::from_str::<Vec<(String, String)>>(q).ok())
            .unwrap_or_default()
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .collect();
        ListQuery {
            path: path.to_owned(),
            pairs,
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The query without the console's own parameters, for the API (`tab` picks a part of a
    /// page, the rest is the API's).
    pub fn api_pairs(&self) -> Vec<(String, String)> {
        self.pairs
            .iter()
            .filter(|(k, _)| k != "tab")
            .cloned()
            .collect()
    }

    /// This page with `key` set to `value` (or removed when `None`); the page number is
    /// reset unless it is what changes.
    pub fn with(&self, key: &str, value: Option<&str>) -> String {
        let mut pairs: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter(|(k, _)| k != key && (key == "page" || k != "page"))
            .cloned()
            .collect();
        if let Some(value) = value {
            pairs.push((key.to_owned(), value.to_owned()));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if query.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{query}", self.path)
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }
}

/// A column header that sorts by `key` (a second click flips the direction).
pub fn sort_header(query: &ListQuery, label: &str, key: &str, numeric: bool) -> Markup {
    let current = query.get("order_by").unwrap_or_default();
    let (next, mark, sort) = if current == key {
        (format!("-{key}"), " ▲", Some("ascending"))
    } else if current.strip_prefix('-') == Some(key) {
        (key.to_owned(), " ▼", Some("descending"))
    } else {
        (key.to_owned(), "", None)
    };
    html! {
        th class=[numeric.then_some("num")] aria-sort=[sort] {
            a href=(query.with("order_by", Some(&next))) { (label) (mark) }
        }
    }
}

/// Previous / next links and where the page is in the list.
pub fn pager<T>(query: &ListQuery, page: &Page<T>) -> Markup {
    let pages = if page.pagesize > 0 {
        (page.count + page.pagesize - 1) / page.pagesize
    } else {
        1
    }
    .max(1);
    let first = (page.page - 1) * page.pagesize + 1;
    let last = first + page.result.len() as i64 - 1;
    html! {
        nav.pager aria-label="Pages" {
            @if page.page > 1 {
                a.button.secondary rel="prev" href=(query.with("page", Some(&(page.page - 1).to_string()))) { "← Previous" }
            }
            span.muted {
                @if page.result.is_empty() { "0 of " (page.count) } @else { (first) "–" (last) " of " (page.count) }
                " · page " (page.page) " of " (pages)
            }
            @if page.page < pages {
                a.button.secondary rel="next" href=(query.with("page", Some(&(page.page + 1).to_string()))) { "Next →" }
            }
        }
    }
}

/// The CSS class of a severity name.
pub fn severity_class(severity: &str) -> &'static str {
    match severity.to_ascii_lowercase().as_str() {
        "critical" => "critical",
        "high" => "high",
        "medium" => "medium",
        "low" => "low",
        _ => "other",
    }
}

pub fn severity(severity: &str) -> Markup {
    html! { span.sev.(severity_class(severity)) { (severity.to_ascii_lowercase()) } }
}

/// A count in a severity's colour (muted when zero).
pub fn count(class: &str, n: i64, label: &str) -> Markup {
    html! {
        @if n == 0 { span.sev.zero title=(label) { "0" } }
        @else { span.sev.(class) title=(label) { (n) } }
    }
}

pub fn empty(text: &str) -> Markup {
    html! { p.empty { (text) } }
}

/// The message of a failed part of a page (the rest of the page still renders).
pub fn error_box(text: &str) -> Markup {
    html! { div.error-box role="alert" { (text) } }
}

/// The session's CSRF token as every console form carries it.
pub fn csrf_field(csrf: &str) -> Markup {
    html! { input type="hidden" name="csrf" value=(csrf); }
}

/// A legend for the severity colours.
pub fn legend() -> Markup {
    html! {
        div.legend {
            @for (class, label) in SEVERITIES { span { span.sev.(class) { " " } " " (label) } }
        }
    }
}

const SEVERITIES: [(&str, &str); 5] = [
    ("critical", "Critical"),
    ("high", "High"),
    ("medium", "Medium"),
    ("low", "Low"),
    ("other", "Other"),
];

fn values(counts: &RiskCounts) -> [i64; 5] {
    [
        counts.critical,
        counts.high,
        counts.medium,
        counts.low,
        counts.other,
    ]
}

/// Horizontal bars, one per severity, scaled to the largest.
pub fn severity_bars(counts: &RiskCounts, label: &str) -> Markup {
    let values = values(counts);
    let max = values.iter().copied().max().unwrap_or(0).max(1) as f64;
    html! {
        svg.chart viewBox="0 0 400 130" role="img" aria-label=(label) {
            @for (i, ((class, name), n)) in SEVERITIES.iter().zip(values).enumerate() {
                @let y = 8 + i as i64 * 24;
                text x="0" y=(y + 13) { (name) }
                rect.(class) x="70" y=(y) height="16" width=(format!("{:.1}", 280.0 * n as f64 / max)) rx="2" {}
                text x=(format!("{:.1}", 76.0 + 280.0 * n as f64 / max)) y=(y + 13) { (n) }
            }
        }
    }
}

/// One line per severity over the recorded days.
pub fn trend_chart(points: &[TrendPoint]) -> Markup {
    if points.len() < 2 {
        return empty(
            "The trend appears once the server has recorded two days (it records one point a day).",
        );
    }
    let max = points
        .iter()
        .flat_map(|p| values(&p.vulnerabilities))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let step = 360.0 / (points.len() - 1) as f64;
    let line = |index: usize| -> String {
        points
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let v = values(&p.vulnerabilities)[index] as f64;
                format!(
                    "{:.1},{:.1}",
                    30.0 + step * i as f64,
                    150.0 - 140.0 * v / max
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let first = points.first().map(|p| p.day.as_str()).unwrap_or_default();
    let last = points.last().map(|p| p.day.as_str()).unwrap_or_default();
    html! {
        svg.chart viewBox="0 0 400 175" role="img" aria-label="Vulnerabilities by severity over time" {
            line.axis x1="30" y1="150" x2="390" y2="150" {}
            line.axis x1="30" y1="10" x2="30" y2="150" {}
            text x="0" y="14" { (max as i64) }
            text x="0" y="150" { "0" }
            @for (index, (class, _)) in SEVERITIES.iter().enumerate().take(4) {
                polyline.(class) points=(line(index)) {}
            }
            text x="30" y="168" { (first) }
            text x="320" y="168" { (last) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_filters_and_reset_the_page() {
        let q = ListQuery::new("/images", Some("severity=high&page=3&search=a%26b"));
        assert_eq!(q.get("search"), Some("a&b"));
        assert_eq!(
            q.with("order_by", Some("-name")),
            "/images?severity=high&search=a%26b&order_by=-name"
        );
        assert_eq!(
            q.with("page", Some("4")),
            "/images?severity=high&search=a%26b&page=4"
        );
        assert_eq!(q.with("severity", None), "/images?search=a%26b");
    }

    #[test]
    fn sort_headers_flip_direction() {
        let q = ListQuery::new("/images", Some("order_by=name"));
        let html = sort_header(&q, "Name", "name", false).into_string();
        assert!(html.contains("order_by=-name"), "{html}");
        assert!(html.contains("aria-sort=\"ascending\""), "{html}");
    }

    #[test]
    fn a_pager_counts_from_one() {
        let page = Page {
            count: 45,
            page: 2,
            pagesize: 20,
            result: vec![(); 20],
        };
        let html = pager(&ListQuery::new("/x", None), &page).into_string();
        assert!(html.contains("21–40 of 45"), "{html}");
        assert!(html.contains("page 2 of 3"), "{html}");
        assert!(html.contains("page=1") && html.contains("page=3"), "{html}");
    }
}
