//! PHP Composer analyzers against the Trivy and Syft peer cases.

mod lang_conformance_support;

use lang_conformance_support::{Exception, Route, run};

const ROUTES: &[Route] = &[
    Route {
        prefix: "trivy/php-composer/",
        analyzer: Some("php-composer-lock"),
    },
    // The peer test feeds installed.json alone, outside vendor/composer/.
    Route {
        prefix: "trivy/analyzer-language-php-composer/Test_composerVendorAnalyzer",
        analyzer: Some("php-composer-installed"),
    },
    Route {
        prefix: "trivy/analyzer-language-php-composer/",
        analyzer: None,
    },
    Route {
        prefix: "syft/php/TestParseComposerFileLock",
        analyzer: Some("php-composer-lock"),
    },
];

const KNOWN: &[Exception] = &[
    Exception {
        dir: "syft/php/TestParseComposerFileLock-TestParseComposerFileLock",
        reason: "Syft drops `packages-dev`; Kabuto reports them with dev=true and lets policy filter",
    },
    Exception {
        dir: "trivy/php-composer/TestParse-happy_path",
        reason: "the licence string `MIT or BSD-2-Clause` is one expression: Kabuto keeps it whole, Trivy splits it",
    },
];

#[test]
fn php_peer_conformance() {
    run("php", ROUTES, &[], KNOWN, 0.7);
}
