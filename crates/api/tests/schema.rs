//! The JSON Schemas checked in at `docs/schema/` are the ones the Rust types generate: a
//! change to a wire type shows up as a schema diff in review. Regenerate with
//! `KABUTO_UPDATE_SCHEMA=1 cargo test -p kabuto-api --test schema`.

use std::path::Path;

#[test]
fn checked_in_schemas_match_the_types() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/schema");
    let update = std::env::var_os("KABUTO_UPDATE_SCHEMA").is_some();
    let mut stale = Vec::new();
    for (name, schema) in kabuto_api::schemas() {
        let path = dir.join(name);
        let generated = format!(
            "{}\n",
            serde_json::to_string_pretty(&schema).expect("a schema serializes")
        );
        if update {
            std::fs::write(&path, &generated).expect("write schema");
            continue;
        }
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        if checked_in != generated {
            stale.push(name);
        }
    }
    assert!(
        stale.is_empty(),
        "docs/schema is out of date for {stale:?}: run \
         KABUTO_UPDATE_SCHEMA=1 cargo test -p kabuto-api --test schema and review the diff"
    );
}

/// A report `kabuto scan --format json` writes validates against the checked-in schema's
/// required top-level fields, and a verdict round-trips.
#[test]
fn schemas_describe_what_is_written() {
    let report = kabuto_api::schemas()
        .into_iter()
        .find(|(name, _)| name.starts_with("scan-report"))
        .expect("report schema")
        .1;
    let required: Vec<&str> = report["required"]
        .as_array()
        .expect("required list")
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    for field in ["schema_version", "tool", "created", "artifact", "packages"] {
        assert!(
            required.contains(&field),
            "{field} not required: {required:?}"
        );
    }
    let verdict = kabuto_api::Verdict::of("app:1", &[], &[], 0);
    let json = serde_json::to_value(&verdict).expect("serialize");
    let back: kabuto_api::Verdict = serde_json::from_value(json.clone()).expect("deserialize");
    assert_eq!(back, verdict);
    let mut unknown = json;
    unknown["surprise"] = serde_json::json!(1);
    assert!(serde_json::from_value::<kabuto_api::Verdict>(unknown).is_err());
}
