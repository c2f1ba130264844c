//! NDB rpm databases (`var/lib/rpm/Packages.db`): any bytes, no panic. The input gets the
//! `RpmP` magic so the fuzzer explores slots and blobs rather than the magic check.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut db = b"RpmP".to_vec();
    db.extend_from_slice(data);
    if let Ok(blobs) = kabuto_catalog::os::rpm::ndb::header_blobs(&db) {
        for blob in blobs.into_iter().flatten() {
            let _ = kabuto_catalog::os::rpm::parse_header(&blob);
        }
    }
});
