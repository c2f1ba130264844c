//! The check registry: ids are unique and well formed, the list is reviewed, and
//! `docs/misconfig-checks.md` matches it.

use std::collections::HashSet;
use std::path::Path;

use kabuto_misconfig::registry::{CHECKS, Target, render_markdown};
use kabuto_types::MisconfigCheckId;

#[test]
fn ids_are_unique_well_formed_and_prefixed_by_target() {
    let mut seen = HashSet::new();
    for check in CHECKS {
        assert!(seen.insert(check.id), "duplicate check id {}", check.id);
        assert!(MisconfigCheckId::new(check.id).is_ok(), "{}", check.id);
        let prefix = match check.target {
            Target::Dockerfile => "KBD",
            Target::Kubernetes => "KBK",
            Target::ImageConfig => "KBI",
        };
        assert!(
            check.id.starts_with(prefix) && check.id.len() == 6,
            "{}",
            check.id
        );
        assert!(
            !check.title.is_empty()
                && !check.description.is_empty()
                && !check.remediation.is_empty()
        );
    }
}

#[test]
fn documented_list() {
    let list: Vec<String> = CHECKS
        .iter()
        .map(|c| {
            format!(
                "{} {} [{}] {} | {}",
                c.id,
                c.severity,
                c.target.as_str(),
                c.title,
                c.peer_ids.join(", ")
            )
        })
        .collect();
    insta::assert_json_snapshot!(list);
}

#[test]
fn docs_are_current() {
    let docs = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../docs/misconfig-checks.md");
    let rendered = render_markdown();
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(&docs, &rendered).expect("write docs");
    }
    let committed = std::fs::read_to_string(&docs).unwrap_or_default();
    assert!(
        committed == rendered,
        "{} is out of date: run `UPDATE_DOCS=1 cargo test -p kabuto-misconfig --test registry`",
        docs.display()
    );
}
