//! Arbitrary bytes as an image archive file (docker-archive or oci-archive, plain or
//! compressed): detection, member indexing (links, special members), manifests, configs,
//! image selection and every layer stream.
#![no_main]

use std::io::Read;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let path = std::env::temp_dir().join(format!("kabuto-fuzz-local-{}.tar", std::process::id()));
    if std::fs::write(&path, data).is_err() {
        return;
    }
    if let Ok(image) = kabuto_source::open_local(&path, None) {
        for index in 0..image.metadata().layers.len() {
            if let Ok(mut layer) = image.open_layer(index) {
                let mut sink = Vec::new();
                let _ = layer.by_ref().take(16 << 20).read_to_end(&mut sink);
            }
        }
    }
    // A selector that rarely matches: the "no image tagged" path lists what there is.
    let _ = kabuto_source::open_local(&path, Some("latest"));
    let _ = std::fs::remove_file(&path);
});
