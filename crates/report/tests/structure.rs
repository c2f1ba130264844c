//! Properties of the documents that the schemas do not check: references resolve, ids are
//! unique, licence refs are declared, the JSON reads back.

mod common;

use std::collections::{BTreeSet, HashMap};

use common::{empty_inventory, fixed_options, image_inventory, odd_inventory};
use kabuto_report::json::{JsonReport, SCHEMA_VERSION};
use kabuto_report::{Format, render};
use kabuto_types::Inventory;
use serde_json::Value;

fn rendered(format: Format, inventory: &Inventory) -> Vec<u8> {
    let mut out = Vec::new();
    render(format, inventory, &fixed_options(), &mut out).expect("rendering succeeds");
    out
}

fn json(format: Format, inventory: &Inventory) -> Value {
    serde_json::from_slice(&rendered(format, inventory)).expect("output is JSON")
}

fn inventories() -> [Inventory; 3] {
    [image_inventory(), empty_inventory(), odd_inventory()]
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn cyclonedx_refs_are_unique_and_every_component_hangs_off_the_artifact() {
    for inventory in inventories() {
        let bom = json(Format::CycloneDx, &inventory);
        let root = bom["metadata"]["component"]["bom-ref"]
            .as_str()
            .expect("root bom-ref")
            .to_owned();
        let components = bom["components"].as_array().expect("components");
        let mut refs = BTreeSet::from([root.clone()]);
        for component in components {
            let r = component["bom-ref"].as_str().expect("bom-ref").to_owned();
            assert!(refs.insert(r.clone()), "duplicate bom-ref {r}");
        }
        assert_eq!(
            components.len(),
            inventory.packages.len() + usize::from(inventory.os.is_some())
        );

        let mut edges: HashMap<String, Vec<String>> = HashMap::new();
        for dependency in bom["dependencies"].as_array().expect("dependencies") {
            let from = dependency["ref"].as_str().expect("ref").to_owned();
            let to = strings(&dependency["dependsOn"]);
            for r in to.iter().chain([&from]) {
                assert!(refs.contains(r), "dependency names unknown ref {r}");
            }
            assert!(
                edges.insert(from.clone(), to).is_none(),
                "two entries for {from}"
            );
        }
        assert_eq!(
            edges.keys().cloned().collect::<BTreeSet<_>>(),
            refs,
            "every component has one dependencies entry"
        );

        let mut reached = BTreeSet::new();
        let mut todo = vec![root];
        while let Some(r) = todo.pop() {
            if reached.insert(r.clone()) {
                todo.extend(edges.get(&r).cloned().unwrap_or_default());
            }
        }
        assert_eq!(reached, refs, "components unreachable from the artifact");
    }
}

#[test]
fn cyclonedx_marks_the_os_and_keeps_maven_and_npm_groups() {
    let bom = json(Format::CycloneDx, &image_inventory());
    let components = bom["components"].as_array().expect("components");
    let by_purl = |purl: &str| {
        components
            .iter()
            .find(|c| c["purl"] == purl)
            .unwrap_or_else(|| panic!("no component {purl}"))
    };
    let os = &components[0];
    assert_eq!(os["type"], "operating-system");
    assert_eq!(
        (&os["name"], &os["version"]),
        (&"debian".into(), &"12.15".into())
    );
    let babel = by_purl("pkg:npm/%40babel/core@7.24.0");
    assert_eq!(
        (&babel["group"], &babel["name"]),
        (&"@babel".into(), &"core".into())
    );
    let commons = by_purl("pkg:maven/org.apache.commons/commons-lang3@3.12.0");
    assert_eq!(commons["group"], "org.apache.commons");
    assert_eq!(
        commons["licenses"],
        serde_json::json!([{"license": {"name": "Apache License, Version 2.0"}}])
    );
    let crypto = by_purl("pkg:pypi/cryptography@42.0.5");
    assert_eq!(
        crypto["licenses"],
        serde_json::json!([{"expression": "Apache-2.0 OR BSD-3-Clause"}])
    );
}

#[test]
fn spdx_ids_are_unique_and_licence_refs_are_declared() {
    for inventory in inventories() {
        let document = json(Format::SpdxJson, &inventory);
        let packages = document["packages"].as_array().expect("packages");
        let mut ids = BTreeSet::new();
        for package in packages {
            let id = package["SPDXID"].as_str().expect("SPDXID");
            let idstring = id.strip_prefix("SPDXRef-").expect("SPDXRef- prefix");
            assert!(
                !idstring.is_empty()
                    && idstring
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
                "bad SPDXID {id}"
            );
            assert!(ids.insert(id.to_owned()), "duplicate SPDXID {id}");
        }

        let declared: BTreeSet<String> = document["hasExtractedLicensingInfos"]
            .as_array()
            .map(|infos| {
                infos
                    .iter()
                    .map(|i| i["licenseId"].as_str().expect("licenseId").to_owned())
                    .collect()
            })
            .unwrap_or_default();
        let mut used = BTreeSet::new();
        for package in packages {
            let expression = package["licenseDeclared"]
                .as_str()
                .expect("licenseDeclared");
            if expression == "NOASSERTION" {
                continue;
            }
            spdx::Expression::parse(expression)
                .unwrap_or_else(|e| panic!("invalid SPDX expression {expression}: {e}"));
            used.extend(
                expression
                    .split([' ', '(', ')'])
                    .filter(|t| t.starts_with("LicenseRef-"))
                    .map(str::to_owned),
            );
        }
        assert_eq!(used, declared, "LicenseRefs used vs declared");

        let root = packages[0]["SPDXID"].as_str().expect("root id");
        let relationships = document["relationships"].as_array().expect("relationships");
        assert_eq!(
            relationships[0],
            serde_json::json!({"spdxElementId": "SPDXRef-DOCUMENT",
                "relationshipType": "DESCRIBES", "relatedSpdxElement": root})
        );
        let contained: BTreeSet<&str> = relationships[1..]
            .iter()
            .inspect(|r| {
                assert_eq!(r["spdxElementId"], root);
                assert_eq!(r["relationshipType"], "CONTAINS");
            })
            .filter_map(|r| r["relatedSpdxElement"].as_str())
            .collect();
        let others: BTreeSet<&str> = ids
            .iter()
            .map(String::as_str)
            .filter(|i| *i != root)
            .collect();
        assert_eq!(contained, others);
    }
}

#[test]
fn json_reads_back_as_the_sorted_inventory() {
    for inventory in inventories() {
        let report: JsonReport =
            serde_json::from_slice(&rendered(Format::Json, &inventory)).expect("reads back");
        assert_eq!(report.schema_version, SCHEMA_VERSION);
        assert_eq!(report.tool.name, "kabuto");
        assert_eq!(
            report.created.as_ref().map(|t| t.as_str()),
            Some("2025-01-02T03:04:05Z")
        );
        let mut sorted = inventory.clone();
        sorted.sort();
        assert_eq!(report.into_inventory(), sorted);
    }
}

#[test]
fn table_escapes_control_characters_and_keeps_columns_aligned() {
    let table = String::from_utf8(rendered(Format::Table, &odd_inventory())).expect("UTF-8");
    assert!(
        !table.chars().any(|c| c.is_control() && c != '\n'),
        "{table}"
    );
    assert!(table.contains("evil\\u{1b}[2J name"), "{table}");
    assert!(table.contains("unknown ID `\\u{7}beep`"), "{table}");
    let mut widths = BTreeSet::new();
    for line in table.lines().filter(|l| l.starts_with('│')) {
        widths.insert((
            line.chars().filter(|c| *c == '│').count(),
            line.chars().count(),
        ));
    }
    // Two tables (pypi, npm): each has one line width, whatever the cell contents.
    assert_eq!(widths.len(), 2, "{table}");
}

/// A writer whose disk is full.
struct FullDisk;

impl std::io::Write for FullDisk {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::new(
            std::io::ErrorKind::StorageFull,
            "disk full",
        ))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn write_failures_name_the_format() {
    for format in Format::ALL {
        let err = render(format, &image_inventory(), &fixed_options(), &mut FullDisk)
            .expect_err("writing to a full disk fails");
        assert!(
            matches!(&err, kabuto_report::ReportError::Write { format: f, .. } if *f == format),
            "{err:?}"
        );
        assert!(err.to_string().contains(format.as_str()), "{err}");
    }
}

fn report_json(format: Format, report: &kabuto_report::Report<'_>) -> Value {
    let mut out = Vec::new();
    kabuto_report::render_report(format, report, &fixed_options(), &mut out)
        .expect("rendering succeeds");
    serde_json::from_slice(&out).expect("output is JSON")
}

#[test]
fn cyclonedx_vulnerabilities_affect_known_components() {
    let inventory = image_inventory();
    let findings = common::image_findings(&inventory);
    let bom = report_json(Format::CycloneDx, &findings.report(&inventory));
    let refs: BTreeSet<String> = bom["components"]
        .as_array()
        .expect("components")
        .iter()
        .filter_map(|c| c["bom-ref"].as_str().map(str::to_owned))
        .collect();
    let vulnerabilities = bom["vulnerabilities"].as_array().expect("vulnerabilities");
    let affected = |v: &Value| -> Vec<String> {
        v["affects"]
            .as_array()
            .expect("affects")
            .iter()
            .map(|a| a["ref"].as_str().expect("ref").to_owned())
            .collect()
    };
    let mut findings_covered = 0;
    for v in vulnerabilities {
        let affects = affected(v);
        assert!(!affects.is_empty(), "{v}");
        for r in &affects {
            assert!(refs.contains(r), "affects unknown ref {r}");
        }
        findings_covered += affects.len();
    }
    assert_eq!(findings_covered, findings.vulnerabilities.len());
    let lodash = vulnerabilities
        .iter()
        .find(|v| v["id"] == "CVE-2019-10744")
        .expect("lodash vulnerability");
    assert_eq!(
        affected(lodash),
        [
            "pkg:npm/lodash@4.17.4|app/admin/node_modules/lodash/package.json",
            "pkg:npm/lodash@4.17.4|app/web/node_modules/lodash/package.json",
        ]
    );
}

#[test]
fn json_findings_read_back() {
    let inventory = image_inventory();
    let findings = common::image_findings(&inventory);
    let mut out = Vec::new();
    kabuto_report::render_report(
        Format::Json,
        &findings.report(&inventory),
        &fixed_options(),
        &mut out,
    )
    .expect("rendering succeeds");
    let report: JsonReport = serde_json::from_slice(&out).expect("reads back");
    let vulnerabilities = report.vulnerabilities.expect("vulnerabilities present");
    assert_eq!(vulnerabilities.len(), findings.vulnerabilities.len());
    for v in &vulnerabilities {
        assert!(
            findings.vulnerabilities.contains(&v.finding),
            "{:?}",
            v.finding.id
        );
    }
    let acknowledged: Vec<&str> = vulnerabilities
        .iter()
        .filter(|v| v.acknowledgement.is_some())
        .map(|v| v.finding.id.as_str())
        .collect();
    assert_eq!(acknowledged, ["CVE-2024-13176", "CVE-2023-32681"]);
    assert_eq!(vulnerabilities[0].target, "debian 12.15");
    assert_eq!(report.secrets.expect("secrets").len(), 2);
    assert_eq!(
        report.misconfigurations.expect("misconfigurations").len(),
        2
    );
    assert_eq!(report.policies.expect("policies"), findings.policies);

    // Scanners that did not run leave no key at all.
    let plain = json(Format::Json, &inventory);
    for key in [
        "vulnerabilities",
        "secrets",
        "misconfigurations",
        "policies",
    ] {
        assert!(plain.get(key).is_none(), "{key}");
    }
}

#[test]
fn table_escapes_control_characters_in_findings() {
    let inventory = odd_inventory();
    let findings = common::hostile_findings(&inventory);
    let report = findings
        .report(&inventory)
        .list_packages(true)
        .explain(true);
    let mut out = Vec::new();
    kabuto_report::render_report(Format::Table, &report, &fixed_options(), &mut out)
        .expect("rendering succeeds");
    let table = String::from_utf8(out).expect("UTF-8");
    assert!(
        !table.chars().any(|c| c.is_control() && c != '\n'),
        "{table}"
    );
    assert!(table.contains("\\u{1b}[2J"), "{table}");
}

#[test]
fn sarif_results_point_at_their_rules() {
    let inventory = image_inventory();
    let findings = common::image_findings(&inventory);
    let log = report_json(Format::Sarif, &findings.report(&inventory));
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    let ids: BTreeSet<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(ids.len(), rules.len(), "rule ids are unique");
    // 5 vulnerability ids (lodash's shared by two results), 2 secret rules, 2 checks.
    assert_eq!(rules.len(), 9);
    let results = run["results"].as_array().expect("results");
    assert_eq!(
        results.len(),
        findings.vulnerabilities.len() + findings.secrets.len() + findings.misconfigs.len()
    );
    let mut suppressed = Vec::new();
    for result in results {
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        let region = &result["locations"][0]["physicalLocation"]["region"];
        assert!(region["startLine"].as_u64() >= Some(1), "{result}");
        if result.get("suppressions").is_some() {
            suppressed.push(result["ruleId"].as_str().expect("ruleId"));
        }
    }
    assert_eq!(suppressed, ["CVE-2024-13176", "CVE-2023-32681"]);
    let fingerprints: BTreeSet<&str> = results
        .iter()
        .filter_map(|r| r["partialFingerprints"]["kabuto/v1"].as_str())
        .collect();
    assert_eq!(
        fingerprints.len(),
        results.len(),
        "fingerprints tell results apart"
    );
}
