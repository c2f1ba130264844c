//! Node.js analyzers against the Trivy and Syft peer cases.

mod lang_conformance_support;

use lang_conformance_support::{Exception, Route, run};

const ROUTES: &[Route] = &[
    Route {
        prefix: "trivy/nodejs-npm/",
        analyzer: Some("npm-package-lock"),
    },
    Route {
        prefix: "trivy/nodejs-yarn/",
        analyzer: Some("yarn-lock"),
    },
    Route {
        prefix: "trivy/nodejs-pnpm/",
        analyzer: Some("pnpm-lock"),
    },
    Route {
        prefix: "trivy/analyzer-language-nodejs-npm/",
        analyzer: None,
    },
    Route {
        prefix: "trivy/analyzer-language-nodejs-yarn/",
        analyzer: None,
    },
    Route {
        prefix: "trivy/analyzer-language-nodejs-pnpm/",
        analyzer: None,
    },
    Route {
        prefix: "trivy/analyzer-language-nodejs-pkg/",
        analyzer: None,
    },
    Route {
        prefix: "syft/javascript/TestParsePackageLock",
        analyzer: Some("npm-package-lock"),
    },
    Route {
        prefix: "syft/javascript/TestParseYarn",
        analyzer: Some("yarn-lock"),
    },
    Route {
        prefix: "syft/javascript/TestParsePnpm",
        analyzer: Some("pnpm-lock"),
    },
];

const SKIPPED: &[Exception] = &[Exception {
    dir: "trivy/analyzer-language-nodejs-yarn/Test_yarnLibraryAnalyzer_Analyze-parse_licenses_yarn_v2",
    reason: "input .yarn/cache zips removed from the corpus",
}];

const PER_FILE: &str = "each analyzer reads one file: node_modules/*/package.json files are reported as installed packages next to the lockfile's (Trivy merges them into the lockfile result, using them only for licences)";
const DEV_KEPT: &str = "the peer drops development dependencies; Kabuto reports them with dev=true and lets policy filter";
const ROOT: &str = "Syft reports the project's own root entry (the `packages` entry with an empty key) as a package; Kabuto reports dependencies only";
const PNPM_IMPORTERS: &str = "the fixture's `packages` section was trimmed to one entry; Syft also reads the importer's `dependencies` section, which names versions without resolving them, Kabuto reads `packages`";
const YARN_LOCAL: &str = "Kabuto lists a package from a project directory or tarball (`file:`), as an SBOM must be complete (docs/evidence.md); Trivy's yarn parser drops it";
const DUP_YAML: &str = "the fixture repeats a key, which YAML (and yarn berry itself) rejects; Kabuto reports the file as malformed";
const YARN_URL: &str = "Syft takes the package name from the `resolved` URL; Kabuto takes it from the descriptor, as Trivy does";
const YARN_ALIAS: &str = "for a classic alias descriptor Syft keeps the alias name; Kabuto reports the real package (what vulnerability data is keyed on), like Trivy";
const YARN_DEV: &str = "yarn.lock has no dev marker; Trivy reads package.json next to it to mark dev-only packages, each Kabuto analyzer reads one file";
const WRONG_PKG: &str = "an empty package.json next to the lockfile is malformed for the installed-package analyzer (a warning); Trivy ignores it";
const BROKEN_LINK: &str = "Trivy drops a workspace member whose link is broken; Kabuto still reports the member entry, which has a version";
const NO_VERSION: &str =
    "a workspace member without a version cannot be matched against advisories; Kabuto skips it";
const PNPM_ENV_DOC: &str = "pnpm's leading environment document lists pnpm itself; Trivy reads only the project document, Kabuto reads both";
const PNPM_PEER_DEV: &str = "a package used by production and dev importers under different peer variants: Kabuto merges the variants and reports it as production";

const KNOWN: &[Exception] = &[
    Exception {
        dir: "syft/javascript/TestParsePackageLock-TestParsePackageLock",
        reason: DEV_KEPT,
    },
    Exception {
        dir: "syft/javascript/TestParsePackageLockLicenseWithArray-TestParsePackageLockLicenseWithArray",
        reason: ROOT,
    },
    Exception {
        dir: "syft/javascript/TestParsePackageLockV1NestedDependencies-TestParsePackageLockV1NestedDependencie",
        reason: DEV_KEPT,
    },
    Exception {
        dir: "syft/javascript/TestParsePackageLockV2-TestParsePackageLockV2",
        reason: ROOT,
    },
    Exception {
        dir: "syft/javascript/TestParsePackageLockV3-TestParsePackageLockV3",
        reason: ROOT,
    },
    Exception {
        dir: "syft/javascript/TestParsePnpmLock-TestParsePnpmLock",
        reason: PNPM_IMPORTERS,
    },
    Exception {
        dir: "syft/javascript/TestParsePnpmLock_ExcludeDevDependencies-TestParsePnpmLock_ExcludeDevDependencie",
        reason: PNPM_IMPORTERS,
    },
    Exception {
        dir: "syft/javascript/TestParseYarnBerry-TestParseYarnBerry",
        reason: DUP_YAML,
    },
    Exception {
        dir: "syft/javascript/TestParseYarnLock-TestParseYarnLock",
        reason: YARN_URL,
    },
    Exception {
        dir: "syft/javascript/TestParseYarnLockWithDuplicates-TestParseYarnLockWithDuplicates",
        reason: YARN_ALIAS,
    },
    Exception {
        dir: "syft/javascript/TestParseYarnLockWithRelationships-TestParseYarnLockWithRelationships",
        reason: YARN_URL,
    },
    Exception {
        dir: "trivy/analyzer-language-nodejs-npm/Test_npmLibraryAnalyzer_Analyze-with_node_modules",
        reason: PER_FILE,
    },
    Exception {
        dir: "trivy/analyzer-language-nodejs-pnpm/Test_pnpmPkgLibraryAnalyzer_Analyze-V9_with_node_modules",
        reason: PER_FILE,
    },
    Exception {
        dir: "trivy/analyzer-language-nodejs-pnpm/Test_pnpmPkgLibraryAnalyzer_Analyze-with_node_modules",
        reason: PER_FILE,
    },
    Exception {
        dir: "trivy/analyzer-language-nodejs-yarn/Test_yarnLibraryAnalyzer_Analyze-happy_path",
        reason: YARN_DEV,
    },
    Exception {
        dir: "trivy/analyzer-language-nodejs-yarn/Test_yarnLibraryAnalyzer_Analyze-happy_path_with_alias_rewrite",
        reason: YARN_DEV,
    },
    Exception {
        dir: "trivy/analyzer-language-nodejs-yarn/Test_yarnLibraryAnalyzer_Analyze-monorepo",
        reason: YARN_DEV,
    },
    Exception {
        dir: "trivy/analyzer-language-nodejs-yarn/Test_yarnLibraryAnalyzer_Analyze-package_uses_latest_version",
        reason: YARN_DEV,
    },
    Exception {
        dir: "trivy/analyzer-language-nodejs-yarn/Test_yarnLibraryAnalyzer_Analyze-parse_licenses_yarn_classic",
        reason: PER_FILE,
    },
    Exception {
        dir: "trivy/analyzer-language-nodejs-yarn/Test_yarnLibraryAnalyzer_Analyze-parse_licenses_yarn_v2_with_node-modules_linker",
        reason: PER_FILE,
    },
    Exception {
        dir: "trivy/analyzer-language-nodejs-yarn/Test_yarnLibraryAnalyzer_Analyze-wrong_package.json",
        reason: WRONG_PKG,
    },
    Exception {
        dir: "trivy/nodejs-npm/TestParse-lock_version_v3_with_broken_link",
        reason: BROKEN_LINK,
    },
    Exception {
        dir: "trivy/nodejs-npm/TestParse-lock_version_v3_with_workspace",
        reason: NO_VERSION,
    },
    Exception {
        dir: "trivy/nodejs-pnpm/TestParse-many",
        reason: DEV_KEPT,
    },
    Exception {
        dir: "trivy/nodejs-pnpm/TestParse-v6_with_dev_deps",
        reason: DEV_KEPT,
    },
    Exception {
        dir: "trivy/nodejs-pnpm/TestParse-with_dev_deps",
        reason: DEV_KEPT,
    },
    Exception {
        dir: "trivy/nodejs-yarn/TestParse-yarn_with_local_dependency",
        reason: YARN_LOCAL,
    },
    Exception {
        dir: "trivy/nodejs-pnpm/TestParse-v9_with_multiple_documents",
        reason: PNPM_ENV_DOC,
    },
    Exception {
        dir: "trivy/nodejs-pnpm/TestParse-v9_with_same_version_and_different_peers_for_dependency",
        reason: PNPM_PEER_DEV,
    },
];

#[test]
fn node_peer_conformance() {
    run("node", ROUTES, SKIPPED, KNOWN, 0.45);
}
