//! Registry manifests/indexes and image references are untrusted input: they must parse
//! or fail, never panic.
#![no_main]

use kabuto_source::registry::{ImageReference, parse_manifest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let content_types = [
        None,
        Some("application/vnd.oci.image.index.v1+json"),
        Some("application/vnd.docker.distribution.manifest.v2+json; charset=utf-8"),
    ];
    for content_type in content_types {
        let _ = parse_manifest(data, content_type);
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Ok(reference) = ImageReference::parse(text)
    {
        // Display must give back a reference that parses to the same thing.
        let again = ImageReference::parse(&reference.to_string()).expect("round trip");
        assert_eq!(again, reference);
    }
});
