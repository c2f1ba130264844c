//! The JUnit XML parses with a real XML parser (quick-xml) and follows the element and
//! attribute rules of the Jenkins xUnit plugin's `junit-10.xsd`, the schema of Ant-style JUnit
//! reports that GitLab, Jenkins and Azure Pipelines read. Counts in the attributes agree with
//! the test cases, and hostile strings come back unchanged after unescaping.

mod common;

use std::collections::BTreeMap;

use common::{fixed_options, hostile_findings, image_findings, image_inventory, odd_inventory};
use kabuto_report::{Format, Report, render_report};
use quick_xml::events::{BytesStart, Event};
use quick_xml::{Reader, XmlVersion};

#[derive(Debug, Default)]
struct Element {
    name: String,
    attributes: BTreeMap<String, String>,
    children: Vec<Element>,
    text: String,
}

fn element(start: &BytesStart<'_>) -> Element {
    let mut attributes = BTreeMap::new();
    for attribute in start.attributes() {
        let attribute = attribute.expect("well-formed attribute");
        let key = attribute.key.as_ref().to_owned();
        let value = attribute
            .normalized_value(XmlVersion::Explicit1_0)
            .expect("attribute value unescapes")
            .into_owned();
        assert!(
            attributes.insert(key.clone(), value).is_none(),
            "duplicate attribute {key}"
        );
    }
    Element {
        name: start.name().as_ref().to_owned(),
        attributes,
        ..Element::default()
    }
}

/// Parses `xml` into a tree, failing on anything a conforming parser rejects.
fn parse(xml: &str) -> Element {
    let mut reader = Reader::from_str(xml);
    reader.config_mut().check_end_names = true;
    let mut stack = vec![Element::default()];
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(start) => stack.push(element(&start)),
            Event::Empty(start) => {
                let e = element(&start);
                stack.last_mut().expect("open element").children.push(e);
            }
            Event::End(_) => {
                let done = stack.pop().expect("open element");
                stack.last_mut().expect("parent").children.push(done);
            }
            Event::Text(t) => {
                let text = t.xml10_content();
                stack.last_mut().expect("open element").text.push_str(&text);
            }
            Event::GeneralRef(r) => {
                let text = match r.resolve_char_ref().expect("valid character reference") {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&r)
                        .unwrap_or_else(|| panic!("unknown entity &{};", &*r))
                        .to_owned(),
                };
                stack.last_mut().expect("open element").text.push_str(&text);
            }
            Event::Decl(_) => {}
            Event::Eof => break,
            other => panic!("unexpected XML event {other:?}"),
        }
    }
    let mut document = stack.pop().expect("document");
    assert!(stack.is_empty(), "unclosed elements");
    assert_eq!(document.children.len(), 1, "one root element");
    document.children.remove(0)
}

fn count(parent: &Element, name: &str) -> usize {
    parent.children.iter().filter(|c| c.name == name).count()
}

fn check_attributes(e: &Element, allowed: &[&str], required: &[&str]) {
    for key in e.attributes.keys() {
        assert!(
            allowed.contains(&key.as_str()),
            "<{}> has no attribute {key}",
            e.name
        );
    }
    for key in required {
        assert!(e.attributes.contains_key(*key), "<{}> needs {key}", e.name);
    }
}

fn number(e: &Element, key: &str) -> usize {
    e.attributes
        .get(key)
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("{key}={v} is not a count"))
        })
        .unwrap_or(0)
}

/// junit-10.xsd's rules for the elements Kabuto writes.
fn check_junit(root: &Element) {
    assert_eq!(root.name, "testsuites");
    check_attributes(
        root,
        &["name", "time", "tests", "failures", "disabled", "errors"],
        &[],
    );
    let mut tests = 0;
    let mut failures = 0;
    for suite in &root.children {
        assert_eq!(suite.name, "testsuite");
        check_attributes(
            suite,
            &[
                "name",
                "tests",
                "failures",
                "errors",
                "time",
                "disabled",
                "skipped",
                "timestamp",
                "hostname",
                "id",
                "package",
                "file",
                "log",
                "url",
                "version",
            ],
            &["name", "tests"],
        );
        let timestamp = &suite.attributes["timestamp"];
        let shape: String = timestamp
            .chars()
            .map(|c| if c.is_ascii_digit() { 'd' } else { c })
            .collect();
        assert_eq!(shape, "dddd-dd-ddTdd:dd:dd", "timestamp {timestamp}");
        for child in &suite.children {
            assert!(
                ["properties", "testcase", "system-out", "system-err"]
                    .contains(&child.name.as_str()),
                "<testsuite> cannot hold <{}>",
                child.name
            );
        }
        let cases: Vec<&Element> = suite
            .children
            .iter()
            .filter(|c| c.name == "testcase")
            .collect();
        for case in &cases {
            check_attributes(
                case,
                &[
                    "name",
                    "classname",
                    "assertions",
                    "time",
                    "status",
                    "file",
                    "line",
                ],
                &["name"],
            );
            for child in &case.children {
                assert!(
                    ["skipped", "error", "failure", "system-out", "system-err"]
                        .contains(&child.name.as_str()),
                    "<testcase> cannot hold <{}>",
                    child.name
                );
                match child.name.as_str() {
                    "failure" | "error" => check_attributes(child, &["message", "type"], &[]),
                    "skipped" => check_attributes(child, &["message"], &[]),
                    _ => {}
                }
            }
            assert!(count(case, "failure") + count(case, "skipped") <= 1);
        }
        let suite_failures = cases.iter().filter(|c| count(c, "failure") > 0).count();
        let suite_skipped = cases.iter().filter(|c| count(c, "skipped") > 0).count();
        assert_eq!(number(suite, "tests"), cases.len());
        assert_eq!(number(suite, "failures"), suite_failures);
        assert_eq!(number(suite, "skipped"), suite_skipped);
        tests += cases.len();
        failures += suite_failures;
    }
    assert_eq!(number(root, "tests"), tests);
    assert_eq!(number(root, "failures"), failures);
}

fn junit(report: &Report<'_>) -> String {
    let mut out = Vec::new();
    render_report(Format::Junit, report, &fixed_options(), &mut out).expect("rendering succeeds");
    String::from_utf8(out).expect("UTF-8")
}

fn suite<'e>(root: &'e Element, name: &str) -> &'e Element {
    root.children
        .iter()
        .find(|s| s.attributes["name"] == name)
        .unwrap_or_else(|| panic!("no suite {name}"))
}

#[test]
fn policies_become_suites_of_controls() {
    let inventory = image_inventory();
    let findings = image_findings(&inventory);
    let root = parse(&junit(&findings.report(&inventory)));
    check_junit(&root);
    assert_eq!(root.children.len(), 2, "one suite per policy");
    let default = suite(&root, "policy default-assurance");
    assert_eq!(
        (number(default, "tests"), number(default, "failures")),
        (4, 2)
    );
    let failure = &default.children[0].children[0];
    assert_eq!(
        failure.attributes["message"],
        "2 vulnerabilities are above the HIGH limit"
    );
    assert_eq!(
        failure.text,
        "CVE-2019-10744 in lodash 4.17.4 (app/admin)\nCVE-2019-10744 in lodash 4.17.4 (app/web)"
    );
    let audit = suite(&root, "policy licence-audit");
    assert_eq!(audit.children[0].children[0].attributes["type"], "audit");
}

#[test]
fn without_policies_every_target_is_a_suite() {
    let inventory = image_inventory();
    let mut findings = image_findings(&inventory);
    findings.policies.clear();
    let root = parse(&junit(&findings.report(&inventory)));
    check_junit(&root);
    // 6 package targets, secrets, misconfigurations.
    assert_eq!(root.children.len(), 8);
    let web = suite(&root, "app/web (npm)");
    assert_eq!(
        web.children[0].attributes["name"],
        "CVE-2019-10744 in lodash 4.17.4"
    );
    assert_eq!(web.children[0].children[0].attributes["type"], "CRITICAL");
    let maven = suite(&root, "app/lib/commons-lang3-3.12.0.jar (maven)");
    assert_eq!((number(maven, "tests"), number(maven, "failures")), (1, 0));
    let python = suite(&root, "app/venv/lib/python3.11/site-packages (pypi)");
    assert_eq!(
        number(python, "skipped"),
        1,
        "the acknowledged finding is skipped"
    );
    assert_eq!(number(suite(&root, "secrets"), "failures"), 2);
}

#[test]
fn hostile_strings_survive_escaping() {
    let inventory = odd_inventory();
    let findings = hostile_findings(&inventory);
    let with_policies = parse(&junit(&findings.report(&inventory)));
    check_junit(&with_policies);
    let mut findings = findings;
    findings.policies.clear();
    let xml = junit(&findings.report(&inventory));
    assert!(!xml.contains("<script>"), "{xml}");
    let root = parse(&xml);
    check_junit(&root);
    let policy = &with_policies.children[0];
    // Markup and quotes round-trip; the NUL and ESC XML cannot carry are spelled out.
    assert_eq!(
        policy.attributes["name"],
        "policy <script>alert(\"x&y\")</script>'\\u{1b}[2J\\u{0}]]>-->"
    );
}
