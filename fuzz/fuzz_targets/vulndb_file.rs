#![no_main]
//! Database files: opening and looking up in damaged files gives errors, never panics.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(db) = kabuto_vulndb::Database::from_bytes(data.to_vec()) {
        if let Ok(entries) = db.lookup("PyPI", "requests") {
            for e in entries {
                let _ = db.advisory(e.advisory);
            }
        }
    }
});
