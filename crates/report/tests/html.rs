//! The HTML page is self-contained and escapes every string it did not write itself.

mod common;

use common::{fixed_options, hostile_findings, image_findings, image_inventory, odd_inventory};
use kabuto_report::{Format, Report, render_report};

fn html(report: &Report<'_>) -> String {
    let mut out = Vec::new();
    render_report(Format::Html, report, &fixed_options(), &mut out).expect("rendering succeeds");
    String::from_utf8(out).expect("UTF-8")
}

/// The tags the page is made of; anything else must have come from the data.
const OWN_TAGS: &[&str] = &[
    "!DOCTYPE", "html", "head", "meta", "title", "style", "body", "main", "h1", "h2", "h3", "p",
    "code", "div", "b", "svg", "circle", "text", "rect", "table", "tr", "th", "td", "span", "br",
    "a", "details", "summary", "ul", "li", "footer",
];

fn tags(page: &str) -> Vec<String> {
    page.split('<')
        .skip(1)
        .map(|rest| {
            rest.trim_start_matches('/')
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '!' || *c == '-')
                .collect()
        })
        .collect()
}

#[test]
fn hostile_strings_are_escaped() {
    let inventory = odd_inventory();
    let findings = hostile_findings(&inventory);
    let page = html(&findings.report(&inventory).list_packages(true));
    for tag in tags(&page) {
        assert!(
            OWN_TAGS.contains(&tag.as_str()),
            "unexpected tag <{tag}> in\n{page}"
        );
    }
    assert!(page.contains(
        "&lt;script&gt;alert(&quot;x&amp;y&quot;)&lt;/script&gt;&#39;\\u{1b}[2J\\u{0}]]&gt;--&gt;"
    ));
    assert!(!page.contains('\u{1b}') && !page.contains('\u{0}'));
    // The hostile reference is not a plain URL, so it never becomes a link.
    assert!(!page.contains("href=\"https://example.invalid/"), "{page}");
}

#[test]
fn page_is_self_contained() {
    let inventory = image_inventory();
    let findings = image_findings(&inventory);
    let page = html(&findings.report(&inventory).list_packages(true));
    for external in ["<script", "<link", "src=", "@import", "url("] {
        assert!(!page.contains(external), "{external} in the page");
    }
    for section in [
        "summary",
        "vulnerabilities",
        "secrets",
        "misconfigurations",
        "policies",
        "packages",
        "warnings",
    ] {
        assert!(
            page.contains(&format!("<h2 id=\"{section}\">")),
            "no {section} section"
        );
    }
    // The donut has one arc per severity present: critical, high, medium, low, none.
    assert_eq!(page.matches("stroke-dasharray").count(), 5);
    assert!(page.contains("<title>CRITICAL: 2</title>"));
}
