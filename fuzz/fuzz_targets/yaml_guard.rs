//! The YAML depth guard runs on untrusted text before every serde_yaml parse: it must never
//! panic, must name a position inside the text, and whatever it lets through must parse in
//! bounded time (libFuzzer's timeout flags a slow unit: the quadratic case it exists for).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match kabuto_yaml::check("fuzz.yaml", text) {
        Ok(()) => {
            let _ = serde_yaml::from_str::<serde_yaml::Value>(text);
        }
        Err(refused) => {
            // YAML breaks lines at `\n`, `\r` and `\r\n`: splitting at both bounds the count.
            let lines = text.split(['\n', '\r']).count();
            assert!(refused.line >= 1 && refused.line <= lines, "{refused}");
            assert!(refused.column >= 1);
        }
    }
});
