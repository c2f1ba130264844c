//! Python analyzers against the Trivy and Syft peer cases.

mod lang_conformance_support;

use lang_conformance_support::{Exception, Route, run};

const ROUTES: &[Route] = &[
    Route {
        prefix: "trivy/python-packaging/",
        analyzer: Some("python-metadata"),
    },
    Route {
        prefix: "trivy/python-pip/",
        analyzer: Some("python-requirements"),
    },
    Route {
        prefix: "trivy/python-pipenv/",
        analyzer: Some("python-pipenv-lock"),
    },
    Route {
        prefix: "trivy/python-poetry/",
        analyzer: Some("python-poetry-lock"),
    },
    Route {
        prefix: "trivy/python-uv/",
        analyzer: Some("python-uv-lock"),
    },
    Route {
        prefix: "trivy/analyzer-language-python-packaging/",
        analyzer: None,
    },
    Route {
        prefix: "trivy/analyzer-language-python-pip/",
        analyzer: None,
    },
    Route {
        prefix: "trivy/analyzer-language-python-poetry/",
        analyzer: None,
    },
    Route {
        prefix: "trivy/analyzer-language-python-uv/",
        analyzer: None,
    },
    Route {
        prefix: "syft/python/Test_InstalledPackageCataloger-",
        analyzer: None,
    },
    Route {
        prefix: "syft/python/TestParsePipFileLock-",
        analyzer: Some("python-pipenv-lock"),
    },
    Route {
        prefix: "syft/python/TestParsePoetryLock-",
        analyzer: Some("python-poetry-lock"),
    },
    Route {
        prefix: "syft/python/TestParseRequirementsTxt-",
        analyzer: Some("python-requirements"),
    },
    Route {
        prefix: "syft/python/TestParseUvLock-",
        analyzer: Some("python-uv-lock"),
    },
];

const EGG_ZIP: &str = "input .egg archive removed from the corpus (compiled code); zipped eggs are \
    tested on archives rebuilt from fixtures in tests/python_eggs.rs";

const SKIPPED: &[Exception] = &[
    Exception {
        dir: "trivy/analyzer-language-python-packaging/Test_eggAnalyzer_Analyze-egg_zip",
        reason: EGG_ZIP,
    },
    Exception {
        dir: "trivy/analyzer-language-python-packaging/Test_eggAnalyzer_Analyze-egg_zip_with_checksum",
        reason: EGG_ZIP,
    },
    Exception {
        dir: "trivy/analyzer-language-python-packaging/Test_eggAnalyzer_Analyze-egg_zip_with_license_file",
        reason: EGG_ZIP,
    },
    Exception {
        dir: "trivy/analyzer-language-python-packaging/Test_eggAnalyzer_Analyze-egg_zip_doesn_t_contain_required_files",
        reason: EGG_ZIP,
    },
];

const PIP_LICENCES: &str = "Trivy's pip analyzer copies licences from installed site-packages into requirements.txt \
    packages; each Kabuto analyzer reads one file, so declared packages carry no licence";
const UNKNOWN: &str = "setuptools writes `License: UNKNOWN` when no licence was given; Kabuto reports no licence \
    rather than the placeholder (and falls back to classifiers)";

const KNOWN: &[Exception] = &[
    Exception {
        dir: "trivy/analyzer-language-python-pip/Test_pipAnalyzer_Analyze-happy_path_with_licenses_from_common_dir",
        reason: PIP_LICENCES,
    },
    Exception {
        dir: "trivy/analyzer-language-python-pip/Test_pipAnalyzer_Analyze-happy_path_with_licenses_from_python_dir",
        reason: PIP_LICENCES,
    },
    Exception {
        dir: "trivy/analyzer-language-python-pip/Test_pipAnalyzer_Analyze-happy_path_with_licenses_from_venv",
        reason: PIP_LICENCES,
    },
    Exception {
        dir: "trivy/python-packaging/TestParse-egg_PKG-INFO",
        reason: UNKNOWN,
    },
    Exception {
        dir: "trivy/python-packaging/TestParse-egg_PKG-INFO_with_description_containing_non-RFC_7230_bytes",
        reason: UNKNOWN,
    },
    Exception {
        dir: "trivy/python-packaging/TestParse-wheel_METADATA-4",
        reason: "Trivy expects the classifier here but `Python license` (the License field) for the identical \
            distlib file in its analyzer tests (egg-info, wheel); Kabuto consistently prefers the License field",
    },
    Exception {
        dir: "trivy/python-packaging/TestParse-without_licenses_but_with_a_license_file_a_license_in_Classifier_was_r",
        reason: "Trivy reports `file://LICENSE.txt` as a licence placeholder; Kabuto reports no licence (it does not classify licence files)",
    },
    Exception {
        dir: "trivy/analyzer-language-python-packaging/Test_packagingAnalyzer_Analyze-license_file_in_dist.info",
        reason: "licences come from classifying the LICENSE.txt text, which Kabuto does not do",
    },
    Exception {
        dir: "trivy/python-pip/TestParse-compatible_versions",
        reason: "peer option useMinVersion (report the lower bound of ranges) is not implemented: only exact pins name a version",
    },
    Exception {
        dir: "syft/python/TestParseRequirementsTxt-guess_unpinned_requirements_lowest_version",
        reason: "Syft option GuessUnpinnedRequirements (lowest version of ranges) is not implemented: only exact pins",
    },
    Exception {
        dir: "trivy/analyzer-language-python-poetry/Test_poetryLibraryAnalyzer_Analyze-with_groups",
        reason: "poetry 1.x locks without `groups` keep dev groups only in pyproject.toml; each analyzer reads one file",
    },
    Exception {
        dir: "trivy/python-uv/TestParser_Parse-lockfile_without_root",
        reason: "Trivy rejects a uv.lock without a root project; Kabuto still reports the locked packages",
    },
    Exception {
        dir: "trivy/python-uv/TestParser_Parse-multiple_roots",
        reason: "Trivy rejects a uv.lock with several root projects; Kabuto reports them all",
    },
    Exception {
        dir: "syft/python/TestParsePipFileLock-TestParsePipFileLock",
        reason: "Syft drops the `develop` section; Kabuto reports it with dev=true, as for other lockfiles",
    },
    Exception {
        dir: "syft/python/Test_InstalledPackageCataloger-egg-file-no-version",
        reason: "Syft reports an installed package without a version; Kabuto reports the file as malformed (no version to match)",
    },
];

#[test]
fn python_peer_conformance() {
    run("python", ROUTES, SKIPPED, KNOWN, 0.75);
}

/// The fixture image rootfs built by the project's fixture scripts: Trivy and Syft both
/// report 7 PyPI packages (the venv) and 2 npm packages (lodash and the app manifest).
#[test]
fn debian_app_rootfs_matches_peer_counts() {
    let root = std::path::Path::new("/root/.cache/kabuto-fixtures/out/rootfs/debian-app");
    if !root.is_dir() {
        println!("fixture rootfs {} absent; skipping", root.display());
        return;
    }
    let installed: Vec<_> = kabuto_catalog::lang::analyzers()
        .into_iter()
        .filter(|a| a.evidence().counts_in_images())
        .collect();
    let mut found = std::collections::BTreeSet::new();
    let mut todo = vec![root.to_path_buf()];
    while let Some(dir) = todo.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if kind.is_dir() {
                todo.push(path);
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .into_owned();
            let meta = kabuto_catalog::FileMeta {
                size: 0,
                mode: 0o644,
            };
            for a in installed.iter().filter(|a| a.wants(&rel, &meta)) {
                let content = std::fs::read(&path).expect("read fixture file");
                let out = a
                    .analyze(kabuto_catalog::FileInput {
                        path: &rel,
                        content: &content,
                    })
                    .unwrap_or_else(|e| panic!("{rel}: {e}"));
                for p in out.packages {
                    found.insert((p.ecosystem.as_str(), p.name, p.version));
                }
            }
        }
    }
    let count = |eco: &str| found.iter().filter(|(e, ..)| *e == eco).count();
    assert_eq!((count("pypi"), count("npm")), (7, 2), "{found:?}");
    assert!(found.contains(&("pypi", "requests".into(), "2.19.1".into())));
    assert!(found.contains(&("pypi", "urllib3".into(), "1.23".into())));
    assert!(found.contains(&("npm", "lodash".into(), "4.17.4".into())));
}
