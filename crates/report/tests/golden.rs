//! Golden snapshots of every format, for a representative image and an empty directory.
//! Review changes with `cargo insta review` (or `INSTA_UPDATE=always` and `git diff`).

mod common;

use common::{empty_inventory, fixed_options, image_findings, image_inventory, malware_findings};
use kabuto_report::{Format, RenderOptions, Report, render, render_report};
use kabuto_types::Inventory;

fn rendered(format: Format, inventory: &Inventory, options: &RenderOptions) -> String {
    let mut out = Vec::new();
    render(format, inventory, options, &mut out).expect("rendering to memory succeeds");
    String::from_utf8(out).expect("reports are UTF-8")
}

fn rendered_report(format: Format, report: &Report<'_>, options: &RenderOptions) -> String {
    let mut out = Vec::new();
    render_report(format, report, options, &mut out).expect("rendering to memory succeeds");
    String::from_utf8(out).expect("reports are UTF-8")
}

#[test]
fn findings_reports() {
    let inventory = image_inventory();
    let findings = image_findings(&inventory);
    let options = fixed_options();
    for format in Format::ALL {
        insta::assert_snapshot!(
            format!("findings_{format}"),
            rendered_report(format, &findings.report(&inventory), &options)
        );
    }
}

#[test]
fn findings_table_with_packages_and_explanations_at_100_columns() {
    let inventory = image_inventory();
    let findings = image_findings(&inventory);
    let report = findings
        .report(&inventory)
        .list_packages(true)
        .explain(true);
    let options = fixed_options().with_table_width(Some(100));
    let table = rendered_report(Format::Table, &report, &options);
    assert!(table.contains("│ lodash "), "packages are listed: {table}");
    insta::assert_snapshot!("findings_table_explained_100_columns", table);
}

/// Findings as the matcher makes them from real advisory records, with explanations.
#[test]
fn matched_findings_table() {
    let inventory = image_inventory();
    let findings = common::matched_findings(&inventory);
    let ids: Vec<&str> = findings.iter().map(|f| f.id.as_str()).collect();
    assert!(ids.contains(&"CVE-2018-18074"), "{ids:?}");
    let report = Report::new(&inventory)
        .with_vulnerabilities(&findings)
        .list_packages(false)
        .explain(true);
    insta::assert_snapshot!(
        "matched_table",
        rendered_report(Format::Table, &report, &fixed_options())
    );
}

#[test]
fn scanned_but_clean_sections_say_so() {
    let inventory = empty_inventory();
    let report = Report::new(&inventory)
        .with_vulnerabilities(&[])
        .with_secrets(&[])
        .with_misconfigs(&[]);
    insta::assert_snapshot!(
        "clean_table",
        rendered_report(Format::Table, &report, &fixed_options())
    );
}

/// Malware in the formats that carry it beside the table and JSON: SARIF in full, and of
/// CycloneDX the parts malware adds (file components, their dependency entries, and the
/// rules as vulnerabilities); the rest is the `image_cyclonedx` snapshot.
#[test]
fn malware_reports() {
    let inventory = image_inventory();
    let malware = malware_findings();
    let report = Report::new(&inventory)
        .with_malware(&malware)
        .list_packages(false);
    let options = fixed_options();
    insta::assert_snapshot!(
        "malware_sarif",
        rendered_report(Format::Sarif, &report, &options)
    );
    let bom: serde_json::Value =
        serde_json::from_str(&rendered_report(Format::CycloneDx, &report, &options))
            .expect("CycloneDX is JSON");
    let is_file_ref = |v: &serde_json::Value| v.as_str().is_some_and(|r| r.starts_with("file:"));
    let malware_parts = serde_json::json!({
        "components": bom["components"].as_array().expect("components").iter()
            .filter(|c| c["type"] == "file").collect::<Vec<_>>(),
        "dependencies": bom["dependencies"].as_array().expect("dependencies").iter()
            .filter(|d| is_file_ref(&d["ref"])).collect::<Vec<_>>(),
        "vulnerabilities": bom["vulnerabilities"],
    });
    insta::assert_snapshot!(
        "malware_cyclonedx",
        serde_json::to_string_pretty(&sorted_keys(malware_parts)).expect("JSON")
    );
    // Nothing else changes: without the file components, dependencies and vulnerabilities
    // the document is the plain image BOM.
    let mut rest = bom.clone();
    rest["components"]
        .as_array_mut()
        .expect("components")
        .retain(|c| c["type"] != "file");
    rest["dependencies"]
        .as_array_mut()
        .expect("dependencies")
        .retain(|d| !is_file_ref(&d["ref"]));
    rest.as_object_mut()
        .expect("object")
        .remove("vulnerabilities");
    let plain: serde_json::Value =
        serde_json::from_str(&rendered(Format::CycloneDx, &inventory, &options))
            .expect("CycloneDX is JSON");
    assert_eq!(rest, plain);
}

/// Objects with their keys in order: whether `serde_json::Map` keeps insertion order depends on
/// which other crates of the workspace are built alongside (the `preserve_order` feature).
fn sorted_keys(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => {
            let mut entries: Vec<_> = map.into_iter().collect();
            entries.sort_by(|(a, _), (b, _)| a.cmp(b));
            entries
                .into_iter()
                .map(|(k, v)| (k, sorted_keys(v)))
                .collect()
        }
        serde_json::Value::Array(items) => items.into_iter().map(sorted_keys).collect(),
        other => other,
    }
}

#[test]
fn image_reports() {
    let inventory = image_inventory();
    let options = fixed_options();
    for format in Format::ALL {
        insta::assert_snapshot!(
            format!("image_{format}"),
            rendered(format, &inventory, &options)
        );
    }
}

#[test]
fn empty_reports() {
    let inventory = empty_inventory();
    let options = fixed_options();
    for format in Format::ALL {
        insta::assert_snapshot!(
            format!("empty_{format}"),
            rendered(format, &inventory, &options)
        );
    }
}

#[test]
fn table_fits_an_80_column_terminal() {
    let options = fixed_options().with_table_width(Some(80));
    let table = rendered(Format::Table, &image_inventory(), &options);
    // Header and warning lines carry digests and paths whole; the tables must fit.
    let widest = table
        .lines()
        .filter(|l| l.starts_with(['┌', '│', '├', '└']))
        .map(|l| l.chars().count())
        .max();
    assert!(widest <= Some(80), "{table}");
    assert!(
        table.contains("│ 1:2.38.1-5+deb12u3 │"),
        "versions are cut last: {table}"
    );
    insta::assert_snapshot!("image_table_80_columns", table);
}

#[test]
fn output_does_not_depend_on_input_order() {
    let inventory = image_inventory();
    let mut reversed = inventory.clone();
    reversed.packages.reverse();
    let findings = image_findings(&inventory);
    let mut reversed_findings = image_findings(&inventory);
    reversed_findings.vulnerabilities.reverse();
    reversed_findings.secrets.reverse();
    reversed_findings.misconfigs.reverse();
    let options = fixed_options();
    for format in Format::ALL {
        assert_eq!(
            rendered(format, &inventory, &options),
            rendered(format, &reversed, &options),
            "{format}"
        );
        assert_eq!(
            rendered_report(format, &findings.report(&inventory), &options),
            rendered_report(format, &reversed_findings.report(&reversed), &options),
            "{format} with findings"
        );
    }
}
