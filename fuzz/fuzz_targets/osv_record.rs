#![no_main]
//! OSV records (JSON and YAML) through parsing and validation: errors, never panics.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(record) = serde_json::from_slice::<kabuto_vulndb::osv::OsvRecord>(data) {
        let _ = record.convert("fuzz");
    }
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(record) = serde_yaml::from_str::<kabuto_vulndb::osv::OsvRecord>(text) {
            let _ = record.convert("fuzz");
        }
        let _ = kabuto_vulndb::feeds::rubysec(text);
        let _ = kabuto_vulndb::feeds::nodejs_security_wg(text);
        let _ = kabuto_vulndb::constraint::npm_range(text);
    }
});
