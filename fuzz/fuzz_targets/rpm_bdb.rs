//! Berkeley DB hash rpm databases (`var/lib/rpm/Packages`): any bytes, no panic. The input
//! gets the hash magic so the fuzzer explores pages rather than the magic check.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut db = data.to_vec();
    if db.len() >= 16 {
        db[12..16].copy_from_slice(&0x0006_1561u32.to_le_bytes());
    }
    if let Ok(blobs) = kabuto_catalog::os::rpm::bdb::header_blobs(&db) {
        for blob in blobs.into_iter().flatten() {
            let _ = kabuto_catalog::os::rpm::parse_header(&blob);
        }
    }
});
