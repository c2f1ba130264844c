//! The SBOMs validate against the official CycloneDX 1.6 and SPDX 2.3 JSON schemas, and SARIF
//! output against the official SARIF 2.1.0 schema, checked in under `tests/schemas/` (see the
//! README there). `$ref`s resolve to those files only:
//! these tests never touch the network.

mod common;

use std::path::{Path, PathBuf};

use common::{
    empty_inventory, fixed_options, hostile_findings, image_findings, image_inventory,
    odd_inventory,
};
use jsonschema::{Retrieve, Uri, Validator};
use kabuto_report::{Format, Report, render, render_report};
use kabuto_types::Inventory;
use serde_json::Value;

fn schema_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemas")
}

fn load(file: &str) -> Value {
    let path = schema_dir().join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read schema {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Serves `http://cyclonedx.org/schema/<file>` from `tests/schemas/<file>`; refuses the rest.
struct LocalSchemas;

impl Retrieve for LocalSchemas {
    fn retrieve(&self, uri: &Uri<&str>) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        let file = uri
            .as_str()
            .strip_prefix("http://cyclonedx.org/schema/")
            .filter(|f| !f.contains('/') && schema_dir().join(f).is_file())
            .ok_or_else(|| format!("schema {} is not available offline", uri.as_str()))?;
        Ok(load(file))
    }
}

fn validator(schema_file: &str) -> Validator {
    jsonschema::options()
        .with_retriever(LocalSchemas)
        .should_validate_formats(true)
        .build(&load(schema_file))
        .unwrap_or_else(|e| panic!("schema {schema_file} does not compile: {e}"))
}

fn render_json(format: Format, inventory: &Inventory) -> Value {
    let mut out = Vec::new();
    render(format, inventory, &fixed_options(), &mut out).expect("rendering succeeds");
    serde_json::from_slice(&out).expect("output is JSON")
}

fn render_report_json(format: Format, report: &Report<'_>) -> Value {
    let mut out = Vec::new();
    render_report(format, report, &fixed_options(), &mut out).expect("rendering succeeds");
    serde_json::from_slice(&out).expect("output is JSON")
}

/// The documents of `format` for every test inventory, with and without findings.
fn documents(format: Format) -> Vec<(String, Value)> {
    let mut documents = Vec::new();
    for (name, inventory) in [
        ("image", image_inventory()),
        ("empty", empty_inventory()),
        ("odd", odd_inventory()),
    ] {
        documents.push((name.to_owned(), render_json(format, &inventory)));
    }
    let image = image_inventory();
    let findings = image_findings(&image);
    documents.push((
        "image with findings".to_owned(),
        render_report_json(format, &findings.report(&image)),
    ));
    let matched = common::matched_findings(&image);
    documents.push((
        "image with matched findings".to_owned(),
        render_report_json(format, &Report::new(&image).with_vulnerabilities(&matched)),
    ));
    let malware = common::malware_findings();
    documents.push((
        "image with malware".to_owned(),
        render_report_json(format, &findings.report(&image).with_malware(&malware)),
    ));
    let odd = odd_inventory();
    let hostile = hostile_findings(&odd);
    documents.push((
        "odd with hostile findings".to_owned(),
        render_report_json(format, &hostile.report(&odd)),
    ));
    documents
}

fn assert_valid(validator: &Validator, document: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} is invalid:\n{}",
        errors.join("\n")
    );
}

#[test]
fn cyclonedx_validates_against_the_official_1_6_schema() {
    let validator = validator("bom-1.6.schema.json");
    for (name, bom) in documents(Format::CycloneDx) {
        assert_valid(&validator, &bom, &name);
    }
}

#[test]
fn sarif_validates_against_the_official_2_1_0_schema() {
    let validator = validator("sarif-schema-2.1.0.json");
    for (name, log) in documents(Format::Sarif) {
        assert_valid(&validator, &log, &name);
    }
}

#[test]
fn spdx_validates_against_the_official_2_3_schema() {
    let validator = validator("spdx-2.3.schema.json");
    for (name, inventory) in [
        ("image", image_inventory()),
        ("empty", empty_inventory()),
        ("odd", odd_inventory()),
    ] {
        let document = render_json(Format::SpdxJson, &inventory);
        assert_valid(&validator, &document, name);
    }
}

/// Guards the guard: the validators reject what the specs forbid, so a passing test above
/// means something.
#[test]
fn validators_reject_invalid_documents() {
    let cyclonedx = validator("bom-1.6.schema.json");
    let mut bom = render_json(Format::CycloneDx, &image_inventory());
    bom["components"][1]["licenses"][0]["license"]["id"] = "Not-A-Licence".into();
    assert!(
        !cyclonedx.is_valid(&bom),
        "unknown SPDX id must fail via spdx.schema.json"
    );
    let mut bom = render_json(Format::CycloneDx, &image_inventory());
    bom["components"][1]["type"] = "package".into();
    assert!(!cyclonedx.is_valid(&bom));

    let image = image_inventory();
    let findings = image_findings(&image);
    let mut bom = render_report_json(Format::CycloneDx, &findings.report(&image));
    bom["vulnerabilities"][1]["ratings"][0]["method"] = "CVSSv5".into();
    assert!(!cyclonedx.is_valid(&bom), "unknown rating method must fail");
    let mut bom = render_report_json(Format::CycloneDx, &findings.report(&image));
    bom["vulnerabilities"][0]["affects"][0]
        .as_object_mut()
        .expect("affect object")
        .remove("ref");
    assert!(!cyclonedx.is_valid(&bom), "affects without ref must fail");

    let sarif = validator("sarif-schema-2.1.0.json");
    let mut log = render_report_json(Format::Sarif, &findings.report(&image));
    log["runs"][0]["results"][0]["level"] = "fatal".into();
    assert!(!sarif.is_valid(&log), "unknown result level must fail");
    let mut log = render_report_json(Format::Sarif, &findings.report(&image));
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        0.into();
    assert!(!sarif.is_valid(&log), "line 0 must fail");

    let spdx = validator("spdx-2.3.schema.json");
    let mut document = render_json(Format::SpdxJson, &image_inventory());
    document["packages"][1]
        .as_object_mut()
        .expect("package object")
        .remove("downloadLocation");
    assert!(!spdx.is_valid(&document));
}
