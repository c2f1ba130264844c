//! Reads Kabuto's JSON report (untrusted: reports are passed between CI jobs) and renders
//! what it holds in every format. Reading must fail cleanly; rendering must never panic.
#![no_main]

use kabuto_report::json::JsonReport;
use kabuto_report::{Format, OffsetDateTime, RenderOptions, Report, Uuid, render_report};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(document) = serde_json::from_slice::<JsonReport>(data) else {
        return;
    };
    let vulnerabilities: Vec<_> = document
        .vulnerabilities
        .iter()
        .flatten()
        .map(|v| v.finding.clone())
        .collect();
    let acknowledgements: Vec<_> = document
        .vulnerabilities
        .iter()
        .flatten()
        .filter_map(|v| v.acknowledgement.clone())
        .collect();
    let secrets = document.secrets.clone().unwrap_or_default();
    let misconfigs = document.misconfigurations.clone().unwrap_or_default();
    let policies = document.policies.clone().unwrap_or_default();
    let inventory = document.into_inventory();
    let report = Report::new(&inventory)
        .with_vulnerabilities(&vulnerabilities)
        .with_secrets(&secrets)
        .with_misconfigs(&misconfigs)
        .with_policies(&policies)
        .with_acknowledgements(&acknowledgements)
        .explain(true);
    let options = RenderOptions::fixed(OffsetDateTime::UNIX_EPOCH, Uuid::nil())
        .with_table_width(Some(60));
    for format in Format::ALL {
        let mut out = Vec::new();
        render_report(format, &report, &options, &mut out).expect("rendering to memory succeeds");
    }
});
