//! Policy and acknowledgement files are untrusted text: parsing must fail with an error,
//! never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(set) = kabuto_policy::PolicySet::parse(text, "fuzz.yaml") {
            let _ = set.describe();
        }
        let _ = kabuto_policy::Acknowledgements::parse(text, "fuzz.yaml");
    }
});
