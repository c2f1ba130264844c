#![no_main]
//! Database files: opening, checking and looking up in damaged files gives errors, never
//! panics. Each input is also tried resealed (body length and checksum recomputed), so
//! mutations get past the CRC to the index checks and the record decoding behind it.

use kabuto_vulndb::Database;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    exercise(data.to_vec());
    if let Some(resealed) = kabuto_vulndb::db::reseal(data, |_| ()) {
        exercise(resealed);
    }
});

/// Open (structure and index checks), decode every record, then look a few packages up.
fn exercise(bytes: Vec<u8>) {
    let Ok(db) = Database::from_bytes(bytes, "fuzz input") else {
        return;
    };
    let _ = db.check_records();
    for (ecosystem, name) in [("PyPI", "requests"), ("npm", "lodash"), ("Go", "")] {
        if let Ok(entries) = db.lookup(ecosystem, name) {
            for e in entries {
                let _ = db.advisory(e.advisory);
            }
        }
    }
}
