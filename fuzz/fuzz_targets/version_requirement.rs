//! Any scheme and range syntax, any requirement text and candidate: parsing and matching
//! must not panic.
#![no_main]

use kabuto_version::{RangeSyntax, Scheme, parse_requirement};
use libfuzzer_sys::fuzz_target;

const SYNTAXES: [RangeSyntax; 7] = [
    RangeSyntax::Npm,
    RangeSyntax::RubyGems,
    RangeSyntax::Composer,
    RangeSyntax::Pep440,
    RangeSyntax::Maven,
    RangeSyntax::NuGet,
    RangeSyntax::Comparators,
];

fuzz_target!(|data: &[u8]| {
    let [scheme_selector, syntax_selector, rest @ ..] = data else {
        return;
    };
    let scheme = Scheme::ALL[usize::from(*scheme_selector) % Scheme::ALL.len()];
    let syntax = SYNTAXES[usize::from(*syntax_selector) % SYNTAXES.len()];
    let text = String::from_utf8_lossy(rest);
    let (requirement, candidate) = text.split_once('\n').unwrap_or((&text, "1.0.0"));
    if let Ok(requirement) = parse_requirement(scheme, syntax, requirement) {
        let _ = requirement.contains(candidate);
    }
});
