//! Any scheme, any two strings: `compare` must not panic, and when both versions parse the
//! order must be antisymmetric and reflexive.
#![no_main]

use kabuto_version::{Scheme, compare, validate};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let scheme = Scheme::ALL[usize::from(selector) % Scheme::ALL.len()];
    let text = String::from_utf8_lossy(rest);
    let (a, b) = text.split_once('\n').unwrap_or((&text, ""));
    let _ = validate(scheme, a);
    if let (Ok(ab), Ok(ba)) = (compare(scheme, a, b), compare(scheme, b, a)) {
        assert_eq!(ab, ba.reverse(), "{scheme:?}: {a:?} vs {b:?}");
        assert_eq!(compare(scheme, a, a), Ok(std::cmp::Ordering::Equal));
    }
});
