//! Ruby analyzers against the Trivy and Syft peer cases.

mod lang_conformance_support;

use lang_conformance_support::{Exception, Route, run};

const ROUTES: &[Route] = &[
    Route {
        prefix: "trivy/ruby-gemspec/",
        analyzer: Some("ruby-gemspec"),
    },
    Route {
        prefix: "trivy/ruby-bundler/",
        analyzer: Some("ruby-gemfile-lock"),
    },
    // The peer test feeds the gemspec alone, outside a specifications/ directory.
    Route {
        prefix: "trivy/analyzer-language-ruby-gemspec/",
        analyzer: Some("ruby-gemspec"),
    },
    Route {
        prefix: "syft/ruby/TestParseGemfileLockEntries",
        analyzer: Some("ruby-gemfile-lock"),
    },
];

const KNOWN: &[Exception] = &[];

#[test]
fn ruby_peer_conformance() {
    run("ruby", ROUTES, &[], KNOWN, 0.9);
}
