//! Reads an SBOM or stored report for `kabuto scan sbom` and re-evaluation (untrusted: SBOMs
//! come from other tools and other teams), then renders the inventory it yields as CycloneDX
//! and SPDX. Reading must fail cleanly with an error; nothing may panic.
#![no_main]

use kabuto_report::{Format, OffsetDateTime, RenderOptions, Report, Uuid, render_report};
use kabuto_scan::StoredScan;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(stored) = StoredScan::from_json(data, "fuzz.json") else {
        return;
    };
    let options = RenderOptions::fixed(OffsetDateTime::UNIX_EPOCH, Uuid::nil());
    for format in [Format::CycloneDx, Format::SpdxJson] {
        let mut out = Vec::new();
        render_report(format, &Report::new(&stored.inventory), &options, &mut out)
            .expect("rendering to memory succeeds");
    }
});
