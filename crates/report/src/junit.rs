//! JUnit XML, for the test tabs of CI systems (GitLab `artifacts:reports:junit`, Jenkins,
//! Azure Pipelines, GitHub test-report actions).
//!
//! The element and attribute rules are those of the Jenkins xUnit plugin's `junit-10.xsd`
//! (the de-facto schema of Ant's JUnit report, which the CI systems above read):
//! `<testsuites>` holds `<testsuite name tests failures errors skipped time timestamp>`, which
//! holds `<testcase name classname time>`, each with at most one `<failure message type>` or
//! `<skipped message>`. `timestamp` has no zone (that schema's pattern), and is UTC.
//!
//! - With policies: one suite per policy (`policy <name>`), one test case per control; a failed
//!   control is a failure whose text lists the items that broke it, `type` `failed` or `audit`
//!   (audit-only policies do not block, but their failures are shown).
//! - Without: one suite per target (as in the table) with one test case per vulnerability,
//!   failing with the severity as `type`; a target without vulnerabilities has one passing
//!   case, so the tab shows what was checked. Acknowledged vulnerabilities are `<skipped>`
//!   with the decision as message. Secrets and misconfigurations get a suite each. A report
//!   with neither policies nor findings (an inventory alone) has no suites.
//!
//! Every string is escaped; characters XML 1.0 cannot carry at all (control characters other
//! than tab and newline) and bidi overrides are written as `\u{..}` text.

use std::collections::BTreeMap;
use std::io::{self, Write};

use kabuto_types::Finding;
use kabuto_types::text::push_visible;

use crate::findings::severity_label;
use crate::table::misconfig_location;
use crate::target::Target;
use crate::{PolicyOutcome, PolicySummary, RenderOptions, Report, TOOL_NAME};

struct Suite {
    name: String,
    cases: Vec<Case>,
}

struct Case {
    name: String,
    classname: String,
    verdict: Verdict,
}

enum Verdict {
    Passed,
    Failed {
        message: String,
        kind: String,
        details: String,
    },
    Skipped {
        message: String,
    },
}

pub(crate) fn write(
    report: &Report<'_>,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let suites = if report.policies.is_empty() {
        finding_suites(report)
    } else {
        report.policies.iter().map(policy_suite).collect()
    };
    let count = |f: fn(&Case) -> bool| -> usize {
        suites
            .iter()
            .map(|s| s.cases.iter().filter(|c| f(c)).count())
            .sum()
    };
    let tests = count(|_| true);
    let failures = count(|c| matches!(c.verdict, Verdict::Failed { .. }));
    // The zone-less form junit-10.xsd's timestamp pattern requires.
    let timestamp = options.timestamp().trim_end_matches('Z').to_owned();

    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="{}" tests="{tests}" failures="{failures}" errors="0" time="0">"#,
        attr(&format!("{TOOL_NAME} {}", report.inventory.artifact.name))
    )?;
    for suite in &suites {
        let failures = suite
            .cases
            .iter()
            .filter(|c| matches!(c.verdict, Verdict::Failed { .. }))
            .count();
        let skipped = suite
            .cases
            .iter()
            .filter(|c| matches!(c.verdict, Verdict::Skipped { .. }))
            .count();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{failures}" errors="0" skipped="{skipped}" time="0" timestamp="{timestamp}">"#,
            attr(&suite.name),
            suite.cases.len()
        )?;
        for case in &suite.cases {
            let open = format!(
                r#"    <testcase name="{}" classname="{}" time="0""#,
                attr(&case.name),
                attr(&case.classname)
            );
            match &case.verdict {
                Verdict::Passed => writeln!(out, "{open}/>")?,
                Verdict::Failed {
                    message,
                    kind,
                    details,
                } => {
                    writeln!(out, "{open}>")?;
                    writeln!(
                        out,
                        r#"      <failure message="{}" type="{}">{}</failure>"#,
                        attr(message),
                        attr(kind),
                        text(details)
                    )?;
                    writeln!(out, "    </testcase>")?;
                }
                Verdict::Skipped { message } => {
                    writeln!(out, "{open}>")?;
                    writeln!(out, r#"      <skipped message="{}"/>"#, attr(message))?;
                    writeln!(out, "    </testcase>")?;
                }
            }
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

fn policy_suite(policy: &PolicySummary) -> Suite {
    let classname = format!("policy.{}", policy.name);
    let kind = match policy.outcome {
        PolicyOutcome::Audit => "audit",
        PolicyOutcome::Failed | PolicyOutcome::Passed => "failed",
    };
    let failed = policy.failed.iter().map(|control| Case {
        name: control.id.clone(),
        classname: classname.clone(),
        verdict: Verdict::Failed {
            message: control.message.clone(),
            kind: kind.to_owned(),
            details: control.items.join("\n"),
        },
    });
    let passed = policy.passed.iter().map(|id| Case {
        name: id.clone(),
        classname: classname.clone(),
        verdict: Verdict::Passed,
    });
    Suite {
        name: format!("policy {}", policy.name),
        cases: failed.chain(passed).collect(),
    }
}

fn finding_suites(report: &Report<'_>) -> Vec<Suite> {
    let mut suites = Vec::new();
    if let Some(findings) = report.vulnerabilities {
        let os = report.inventory.os.as_ref();
        let mut targets: BTreeMap<Target, Vec<&Finding>> = report
            .inventory
            .packages
            .iter()
            .map(|p| (Target::of(os, p.ecosystem, &p.locations), Vec::new()))
            .collect();
        for finding in findings {
            targets
                .entry(Target::of(os, finding.ecosystem, &finding.locations))
                .or_default()
                .push(finding);
        }
        for (target, findings) in targets {
            let classname = target.name.clone();
            let mut cases: Vec<Case> = findings
                .iter()
                .map(|f| vulnerability_case(report, f, &classname))
                .collect();
            if cases.is_empty() {
                cases.push(Case {
                    name: "no known vulnerabilities".to_owned(),
                    classname,
                    verdict: Verdict::Passed,
                });
            }
            suites.push(Suite {
                name: target.title(),
                cases,
            });
        }
    }
    if let Some(secrets) = report.secrets {
        let cases = secrets
            .iter()
            .map(|s| Case {
                name: format!("{} at {}:{}", s.rule_id, s.path, s.line),
                classname: "secrets".to_owned(),
                verdict: Verdict::Failed {
                    message: format!("{}: {}", severity_label(s.severity), s.title),
                    kind: severity_label(s.severity),
                    details: s.redacted_line.clone(),
                },
            })
            .collect();
        suites.push(Suite {
            name: "secrets".to_owned(),
            cases,
        });
    }
    if let Some(misconfigs) = report.misconfigs {
        let cases = misconfigs
            .iter()
            .map(|m| Case {
                name: format!("{} at {}", m.check_id, misconfig_location(m)),
                classname: "misconfigurations".to_owned(),
                verdict: Verdict::Failed {
                    message: format!("{}: {}", severity_label(m.severity), m.title),
                    kind: severity_label(m.severity),
                    details: format!("{}\n\nRemediation: {}", m.message, m.remediation),
                },
            })
            .collect();
        suites.push(Suite {
            name: "misconfigurations".to_owned(),
            cases,
        });
    }
    suites
}

fn vulnerability_case(report: &Report<'_>, f: &Finding, classname: &str) -> Case {
    let name = format!("{} in {} {}", f.id, f.package_name, f.installed_version);
    let title = f.title.as_deref().unwrap_or(f.id.as_str());
    let verdict = match report.acknowledgement_for(f) {
        Some(ack) => Verdict::Skipped {
            message: match &ack.reason {
                Some(reason) => format!("{}: {reason}", ack.state),
                None => ack.state.to_string(),
            },
        },
        None => {
            let mut details = Vec::new();
            if !f.fixed_versions.is_empty() {
                details.push(format!("Fixed version: {}", f.fixed_versions.join(", ")));
            }
            details.extend(f.explanations.iter().map(|e| {
                format!(
                    "{} ({}): affected {}; matched {}",
                    e.advisory, e.ecosystem_key, e.affected_range, e.comparison
                )
            }));
            Verdict::Failed {
                message: format!("{}: {title}", severity_label(f.severity)),
                kind: severity_label(f.severity),
                details: details.join("\n"),
            }
        }
    };
    Case {
        name,
        classname: classname.to_owned(),
        verdict,
    }
}

/// Escapes element text.
fn text(s: &str) -> String {
    escape(s, false)
}

/// Escapes an attribute value (double-quoted); line breaks become character references so
/// parsers do not normalise them to spaces.
fn attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, in_attribute: bool) -> String {
    let mut escaped = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' if in_attribute => escaped.push_str("&quot;"),
            '\'' if in_attribute => escaped.push_str("&apos;"),
            '\n' if in_attribute => escaped.push_str("&#10;"),
            '\t' if in_attribute => escaped.push_str("&#9;"),
            '\n' | '\t' => escaped.push(c),
            // Not allowed in XML 1.0 documents, not even as character references.
            '\u{FFFE}' | '\u{FFFF}' => escaped.extend(c.escape_default()),
            // Nor are most controls; bidi overrides would disguise the text in a viewer.
            c => push_visible(&mut escaped, c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_characters_xml_cannot_carry() {
        assert_eq!(
            attr("a<b>&\"c'\nd\u{0}"),
            "a&lt;b&gt;&amp;&quot;c&apos;&#10;d\\u{0}"
        );
        assert_eq!(text("]]> \"x\"\n\u{1b}"), "]]&gt; \"x\"\n\\u{1b}");
    }
}
