//! Peer conformance for the Go, Rust, Java and .NET analyzers: every Trivy and Syft case of
//! these ecosystems in /work/shared/conformance/peer-fixtures, compared with the peer's
//! expected output as sets of (name, version), and licences where the peer asserted them
//! (normalised to SPDX ids on both sides, as Trivy does before reporting). Skips with a note when the corpus is absent.
//!
//! Parser-level cases (`trivy/<lang>-<parser>`, `syft/<lang>`) run the one analyzer for that
//! format on the listed inputs; analyzer-level cases (`trivy/analyzer-language-*`) offer every
//! input file to all of our analyzers, as the scan pipeline does. Compiled inputs were removed
//! from the corpus; jar cases whose layout is known are rebuilt here with the same members
//! (`pom.properties`, manifests, nested jars), the others are skipped with the reason.
//!
//! Known disagreements (each is checked to still disagree, so a fix shows up):
//!
//! | case | peer says | we say | why |
//! |---|---|---|---|
//! | dotnet-core_deps ambiguous_root, happy_path, happy_path_with_skipped_libs, multi-project_solution, self-contained, target_libs_not_found; analyzer-language-dotnet-deps happy_path; syft TestParseDotnetDeps | also the application's own `type: project` entries | only packages and runtime packs | projects are the app's own code, not published NuGet packages: matching advisories by their names is wrong |
//! | syft TestParseDotnetDeps | keeps compile-only libraries | drops libraries without runtime assets for the runtime target | Trivy's rule: nothing of them ships |
//! | golang-mod go_1.16 | drops `// indirect` requires below go 1.17 (then reads go.sum) | keeps them | they are required modules of the build |
//! | analyzer-language-golang-mod less_than_1.17 | adds modules from go.sum below go 1.17 | go.mod `require` lines only | go.sum lists modules considered, not only built ones |
//! | golang-mod no_replace | `replace` ignored (a parser option) | `replace` applied | the go command applies it |
//! | syft golang go.mod cases | no main module; a local `=> ../dir` replacement kept without version | main module (no version); local replacements dropped | Trivy's conventions, kept for both Go analyzers |
//! | analyzer-language-rust-cargo happy_path | prunes crates unreachable from Cargo.toml (target-specific winapi) | every locked crate | the lock is shared by all targets; Cargo.toml is not read |
//! | java-jar artifactId_search | `com.example:heuristic` | `heuristic` | the group comes from a Maven Central search; we make no network calls |

// Test helpers outside #[test] fns: a fixture that fails to build should panic.
#![allow(clippy::unwrap_used)]

#[path = "fixtures/java/jar_builder.rs"]
#[allow(dead_code)] // the scenario-folder helpers serve the analyzer tests, not the corpus
mod jar_builder;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kabuto_catalog::binary::{GoBinaryAnalyzer, JavaArchiveAnalyzer, RustAuditableAnalyzer};
use kabuto_catalog::lang::dotnet::{
    DepsJsonAnalyzer, PackagesConfigAnalyzer, PackagesLockAnalyzer,
};
use kabuto_catalog::lang::golang::GoModAnalyzer;
use kabuto_catalog::lang::rust::CargoLockAnalyzer;
use kabuto_catalog::license::normalize_declared;
use kabuto_catalog::{Analyzer, FileInput, FileMeta};
use kabuto_types::Package;
use serde_json::Value;

type Pairs = BTreeSet<(String, String)>;

/// Case directories (relative to the corpus) expected to disagree, with the reason.
const KNOWN_DISAGREEMENTS: &[(&str, &str)] = &[
    (
        "trivy/dotnet-core_deps/TestParse-ambiguous_root",
        "project entries",
    ),
    (
        "trivy/dotnet-core_deps/TestParse-happy_path",
        "project entries",
    ),
    (
        "trivy/dotnet-core_deps/TestParse-happy_path_with_skipped_libs",
        "project entries",
    ),
    (
        "trivy/dotnet-core_deps/TestParse-multi-project_solution",
        "project entries",
    ),
    (
        "trivy/dotnet-core_deps/TestParse-self-contained_with_bundled_runtime",
        "project entries",
    ),
    (
        "trivy/dotnet-core_deps/TestParse-target_libs_not_found",
        "project entries",
    ),
    (
        "trivy/analyzer-language-dotnet-deps/Test_depsLibraryAnalyzer_Analyze-happy_path",
        "project entries",
    ),
    (
        "syft/dotnet/TestParseDotnetDeps-TestParseDotnetDeps",
        "project entries, compile-only libraries",
    ),
    (
        "trivy/java-jar/TestParse-artifactId_search",
        "group id needs a Maven Central search",
    ),
    (
        "trivy/golang-mod/TestParse-go_1.16",
        "Trivy drops `// indirect` requires below go 1.17",
    ),
    (
        "trivy/golang-mod/TestParse-no_replace",
        "parser option that skips `replace`",
    ),
    (
        "trivy/analyzer-language-golang-mod/Test_gomodAnalyzer_Analyze-less_than_1.17",
        "Trivy adds go.sum modules below go 1.17",
    ),
    (
        "syft/golang/TestParseGoMod-testdata_go-mod-fixtures_many-packages_go.mod",
        "main module",
    ),
    (
        "syft/golang/TestParseGoMod-testdata_go-mod-fixtures_one-package_go.mod",
        "main module",
    ),
    (
        "syft/golang/TestParseGoMod-testdata_go-mod-fixtures_relative-replace_go.mod",
        "main module, local replacement",
    ),
    (
        "syft/golang/Test_GoSumHashes-testdata_go-sum-hashes",
        "main module",
    ),
    (
        "trivy/analyzer-language-rust-cargo/Test_cargoAnalyzer_Analyze-happy_path",
        "Trivy prunes crates unreachable from Cargo.toml",
    ),
];

/// Agreeing cases per ecosystem reached so far: the floor this test holds.
const FLOOR: &[(&str, usize)] = &[("dotnet", 15), ("go", 16), ("java", 8), ("rust", 16)];

fn corpus() -> Option<PathBuf> {
    let root =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/conformance/peer-fixtures");
    root.join("INDEX.json").is_file().then_some(root)
}

/// The analyzer that reads a parser-level group's inputs, or `None` for analyzer-level groups.
fn groups() -> Vec<(&'static str, &'static str, Option<&'static dyn Analyzer>)> {
    vec![
        ("go", "trivy/golang-binary", Some(&GoBinaryAnalyzer)),
        ("go", "trivy/golang-mod", Some(&GoModAnalyzer)),
        ("go", "trivy/analyzer-language-golang-binary", None),
        ("go", "trivy/analyzer-language-golang-mod", None),
        ("go", "syft/golang", Some(&GoModAnalyzer)),
        ("rust", "trivy/rust-binary", Some(&RustAuditableAnalyzer)),
        ("rust", "trivy/rust-cargo", Some(&CargoLockAnalyzer)),
        ("rust", "trivy/analyzer-language-rust-binary", None),
        ("rust", "trivy/analyzer-language-rust-cargo", None),
        ("rust", "syft/rust", Some(&CargoLockAnalyzer)),
        ("java", "trivy/java-jar", Some(&JavaArchiveAnalyzer)),
        ("java", "trivy/analyzer-language-java-jar", None),
        ("dotnet", "trivy/dotnet-core_deps", Some(&DepsJsonAnalyzer)),
        ("dotnet", "trivy/nuget-lock", Some(&PackagesLockAnalyzer)),
        (
            "dotnet",
            "trivy/nuget-config",
            Some(&PackagesConfigAnalyzer),
        ),
        ("dotnet", "trivy/analyzer-language-dotnet-deps", None),
        ("dotnet", "trivy/analyzer-language-dotnet-nuget", None),
    ]
}

fn all_analyzers() -> Vec<&'static dyn Analyzer> {
    vec![
        &GoBinaryAnalyzer,
        &RustAuditableAnalyzer,
        &JavaArchiveAnalyzer,
        &GoModAnalyzer,
        &CargoLockAnalyzer,
        &DepsJsonAnalyzer,
        &PackagesLockAnalyzer,
        &PackagesConfigAnalyzer,
    ]
}

/// The (name, version) pairs of a peer's expected value, or `None` for a `Required` case.
fn expected_pairs(value: &Value) -> Option<Pairs> {
    let packages: Vec<&Value> = match value {
        Value::Array(list) => list.iter().collect(),
        Value::Object(o) => ["applications", "packageInfos"]
            .iter()
            .filter_map(|k| o.get(*k).and_then(Value::as_array))
            .flatten()
            .filter_map(|app| app.get("packages").and_then(Value::as_array))
            .flatten()
            .collect(),
        Value::Null => Vec::new(),
        _ => return None,
    };
    Some(
        packages
            .iter()
            // A virtual workspace root has an id but no name: not a package.
            .filter(|p| {
                p.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| !n.is_empty())
            })
            .map(|p| {
                let field = |k: &str| {
                    p.get(k)
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned()
                };
                (field("name"), field("version"))
            })
            .collect(),
    )
}

enum Outcome {
    Agree,
    Disagree(String),
    Skipped(String),
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else if path.is_file() {
            out.push(path);
        }
    }
}

/// The licences the peer asserted, by (name, version), normalised to SPDX ids where known.
fn expected_licenses(value: &Value) -> Vec<((String, String), BTreeSet<String>)> {
    let Value::Array(list) = value else {
        return Vec::new();
    };
    list.iter()
        .filter_map(|p| {
            let licenses: BTreeSet<String> = p
                .get("licenses")?
                .as_array()?
                .iter()
                .filter_map(Value::as_str)
                .map(normalize_declared)
                .collect();
            let field = |k: &str| p.get(k)?.as_str().map(str::to_owned);
            (!licenses.is_empty()).then_some(((field("name")?, field("version")?), licenses))
        })
        .collect()
}

/// Runs `analyzers` over `(path, bytes)` inputs; `Err` when every analyzer that ran failed.
fn run(
    analyzers: &[&dyn Analyzer],
    inputs: &[(String, Vec<u8>)],
    respect_wants: bool,
) -> Result<Vec<Package>, String> {
    let mut found = Vec::new();
    let mut errors = Vec::new();
    let mut ran = 0;
    for (path, content) in inputs {
        for analyzer in analyzers {
            let meta = FileMeta {
                size: content.len() as u64,
                mode: 0o755,
            };
            if respect_wants && !analyzer.wants(path, &meta) {
                continue;
            }
            ran += 1;
            match analyzer.analyze(FileInput { path, content }) {
                Ok(out) => found.extend(out.packages.into_iter().filter(|p| !p.dev)),
                Err(e) => errors.push(format!("{}: {path}: {e}", analyzer.name())),
            }
        }
    }
    if ran > 0 && errors.len() == ran {
        return Err(errors.join("; "));
    }
    Ok(found)
}

fn check_case(case_dir: &Path, analyzer: Option<&'static dyn Analyzer>) -> Outcome {
    let read_json = |name: &str| -> Value {
        serde_json::from_str(&std::fs::read_to_string(case_dir.join(name)).unwrap()).unwrap()
    };
    let meta = read_json("meta.json");
    let expected = read_json("expected.json");
    let expect_error = meta["expect_error"].as_bool().unwrap_or(false);
    let case_name = case_dir.file_name().unwrap().to_string_lossy().into_owned();

    let Some(want) = expected_pairs(&expected) else {
        // `Required` cases: `false` for a 0644 file; symlinks never reach analyzers.
        if case_name.ends_with("file_perm_0644") {
            let meta = FileMeta {
                size: 10,
                mode: 0o644,
            };
            let wanted = all_analyzers()
                .iter()
                .any(|a| a.wants("testdata/0644", &meta));
            return if wanted {
                Outcome::Disagree("a 0644 file is wanted".into())
            } else {
                Outcome::Agree
            };
        }
        return Outcome::Skipped(
            "symlinks are resolved by the pipeline, never handed to analyzers".into(),
        );
    };

    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    if let Some(rebuilt) = rebuilt_jar(&case_name) {
        inputs.push(rebuilt);
    } else if let Some(list) = meta["input"].as_array() {
        for rel in list.iter().filter_map(Value::as_str) {
            let path = case_dir.join(rel);
            let Ok(bytes) = std::fs::read(&path) else {
                return Outcome::Skipped(format!(
                    "compiled input {rel} was removed from the corpus"
                ));
            };
            inputs.push((rel.trim_start_matches("input/").to_owned(), bytes));
        }
    } else {
        let mut files = Vec::new();
        files_under(&case_dir.join("input"), &mut files);
        if files.is_empty() {
            return Outcome::Skipped("compiled input was removed from the corpus".into());
        }
        for file in files {
            let rel = file
                .strip_prefix(case_dir.join("input"))
                .unwrap()
                .to_string_lossy()
                .into_owned();
            inputs.push((rel, std::fs::read(&file).unwrap()));
        }
    }
    let packages = match analyzer {
        Some(a) => run(&[a], &inputs, false),
        None => run(&all_analyzers(), &inputs, true),
    };
    for (key, want_licenses) in expected_licenses(&expected) {
        let got: BTreeSet<String> = packages
            .iter()
            .flatten()
            .filter(|p| (&p.name, &p.version) == (&key.0, &key.1))
            .flat_map(|p| p.licenses.iter().cloned())
            .collect();
        if got != want_licenses {
            return Outcome::Disagree(format!("{key:?}: licences {got:?}, peer {want_licenses:?}"));
        }
    }
    let got = packages.map(|list| {
        list.into_iter()
            .map(|p| (p.name, p.version))
            .collect::<Pairs>()
    });
    match (expect_error, got) {
        (true, Err(_)) => Outcome::Agree,
        (true, Ok(found)) if found.is_empty() => Outcome::Agree,
        (true, Ok(found)) => Outcome::Disagree(format!("expected an error, found {found:?}")),
        (false, Err(e)) => Outcome::Disagree(format!("error: {e}")),
        (false, Ok(found)) if found == want => Outcome::Agree,
        (false, Ok(found)) => Outcome::Disagree(format!(
            "missing {:?}, extra {:?}",
            want.difference(&found).collect::<Vec<_>>(),
            found.difference(&want).collect::<Vec<_>>()
        )),
    }
}

/// Jars of Trivy's `java-jar` tests rebuilt with the members the originals have.
fn rebuilt_jar(case_name: &str) -> Option<(String, Vec<u8>)> {
    use jar_builder::{jar, licensed_jar, maven_jar, pom_properties, pom_xml};
    let pom = |g: &str, a: &str, v: &str| pom_properties(g, a, v);
    let with_own_pom = |g: &str, a: &str, v: &str, mut rest: Vec<(String, Vec<u8>)>| {
        rest.push(pom(g, a, v));
        let entries: Vec<(&str, Vec<u8>)> =
            rest.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
        jar(&entries)
    };
    let lib = |file: &str, g: &str, a: &str, v: &str| (file.to_owned(), maven_jar(g, a, v));
    // Libraries whose real jars declare licences: OSGi bundles built by Apache and
    // FasterXML state `Bundle-License` as a URL; others name the licence in their pom.xml.
    const APACHE_URL: &str = "http://www.apache.org/licenses/LICENSE-2.0.txt";
    let bundle = |file: &str, g: &str, a: &str, v: &str| {
        (
            file.to_owned(),
            licensed_jar(g, a, v, &[("Bundle-License", APACHE_URL)], &[]),
        )
    };
    let pom_licensed = |file: &str, g: &str, a: &str, v: &str, license: &str| {
        (file.to_owned(), licensed_jar(g, a, v, &[], &[license]))
    };
    Some(match case_name {
        "TestParse-nested_jars" => {
            let nested3 = with_own_pom("test", "nested3", "0.0.3", vec![]);
            let nested2 = with_own_pom("test", "nested2", "0.0.2", vec![("META-INF/jars/nested3.jar".into(), nested3)]);
            let nested = with_own_pom("test", "nested", "0.0.1", vec![("META-INF/jars/nested2.jar".into(), nested2)]);
            ("nested.jar".into(), nested)
        }
        "TestParse-maven" => (
            "maven.war".into(),
            with_own_pom(
                "com.example",
                "web-app",
                "1.0-SNAPSHOT",
                vec![
                    bundle("WEB-INF/lib/jackson-databind-2.9.10.6.jar", "com.fasterxml.jackson.core", "jackson-databind", "2.9.10.6"),
                    bundle("WEB-INF/lib/jackson-annotations-2.9.10.jar", "com.fasterxml.jackson.core", "jackson-annotations", "2.9.10"),
                    bundle("WEB-INF/lib/jackson-core-2.9.10.jar", "com.fasterxml.jackson.core", "jackson-core", "2.9.10"),
                    pom_licensed("WEB-INF/lib/cron-utils-9.1.2.jar", "com.cronutils", "cron-utils", "9.1.2", "Apache 2.0"),
                    lib("WEB-INF/lib/slf4j-api-1.7.30.jar", "org.slf4j", "slf4j-api", "1.7.30"),
                    pom_licensed("WEB-INF/lib/javax.el-3.0.0.jar", "org.glassfish", "javax.el", "3.0.0", "CDDL + GPLv2 with classpath exception"),
                    bundle("WEB-INF/lib/commons-lang3-3.11.jar", "org.apache.commons", "commons-lang3", "3.11"),
                ],
            ),
        ),
        "TestParse-gradle" => {
            // Gradle writes no pom.properties for the war itself.
            let libs = [
                bundle("WEB-INF/lib/commons-dbcp-1.4.jar", "commons-dbcp", "commons-dbcp", "1.4"),
                bundle("WEB-INF/lib/commons-pool-1.6.jar", "commons-pool", "commons-pool", "1.6"),
                pom_licensed("WEB-INF/lib/log4j-1.2.17.jar", "log4j", "log4j", "1.2.17", "The Apache Software License, Version 2.0"),
                bundle("WEB-INF/lib/commons-compress-1.19.jar", "org.apache.commons", "commons-compress", "1.19"),
            ];
            let entries: Vec<(&str, Vec<u8>)> = libs.iter().map(|(n, b)| (n.as_str(), b.clone())).collect();
            ("gradle.war".into(), jar(&entries))
        }
        "TestParse-offline" => (
            "test.jar".into(),
            jar(&[(
                "META-INF/MANIFEST.MF",
                b"Manifest-Version: 1.0\r\nImplementation-Title: Spring Framework\r\nImplementation-Version: 2.5.6.SEC03\r\n\
                  Implementation-Vendor-Id: org.springframework\r\nSpecification-Title: Spring Framework\r\n\r\n"
                    .to_vec(),
            )]),
        ),
        "TestParse-fat_jar" => (
            "hadoop-shaded-guava-1.1.0-SNAPSHOT.jar".into(),
            with_own_pom(
                "org.apache.hadoop.thirdparty",
                "hadoop-shaded-guava",
                "1.1.0-SNAPSHOT",
                vec![
                    pom("com.google.guava", "failureaccess", "1.0.1"),
                    pom("com.google.guava", "guava", "29.0-jre"),
                    pom("com.google.guava", "listenablefuture", "9999.0-empty-to-avoid-conflict-with-guava"),
                    pom("com.google.j2objc", "j2objc-annotations", "1.3"),
                    pom_xml("com.google.j2objc", "j2objc-annotations", &["The Apache Software License, Version 2.0"]),
                    // Guava's own pom inherits its licence from its parent: nothing to read.
                    pom_xml("com.google.guava", "guava", &[]),
                ],
            ),
        ),
        "TestParse-jenkins_plugin_manifest_license" => (
            // Jenkins writes the plugin's licences into the manifest, one header each.
            "license-from-jenkins-plugin.jar".into(),
            with_own_pom(
                "com.example",
                "jenkins-plugin",
                "1.0.0",
                vec![(
                    "META-INF/MANIFEST.MF".into(),
                    b"Manifest-Version: 1.0\r\nShort-Name: jenkins-plugin\r\nPlugin-Version: 1.0.0\r\n\
                      Plugin-License-Name: Apache License, Version 2.0\r\n\
                      Plugin-License-Url: https://www.apache.org/licenses/LICENSE-2.0\r\n\
                      Plugin-License-Name-2: MIT License\r\n\r\n"
                        .to_vec(),
                )],
            ),
        ),
        "TestParse-multiple_packed_license_files" => (
            // Two licence texts: which one is the archive's is unclear, so no licence.
            "multi-license-1.0.0.jar".into(),
            with_own_pom(
                "com.example",
                "multi-license",
                "1.0.0",
                vec![
                    ("META-INF/LICENSE".into(), b"MIT License\n\nPermission is hereby granted".to_vec()),
                    ("LICENSE.txt".into(), b"Apache License\nVersion 2.0, January 2004".to_vec()),
                ],
            ),
        ),
        "TestParse-artifactId_search" => (
            "heuristic-1.0.0-SNAPSHOT.jar".into(),
            jar(&[("com/example/Heuristic.class", vec![0xca, 0xfe, 0xba, 0xbe])]),
        ),
        _ => return None,
    })
}

#[test]
fn peer_conformance_for_go_rust_java_dotnet() {
    let Some(root) = corpus() else {
        println!(
            "SKIP: /work/shared/conformance/peer-fixtures not found; peer conformance not run"
        );
        return;
    };
    let mut unexpected = Vec::new();
    let mut per_ecosystem: std::collections::BTreeMap<&str, (usize, usize, usize)> =
        Default::default();
    for (ecosystem, group, analyzer) in groups() {
        let mut cases: Vec<PathBuf> = std::fs::read_dir(root.join(group))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        cases.sort();
        for case in cases {
            let id = case
                .strip_prefix(&root)
                .unwrap()
                .to_string_lossy()
                .into_owned();
            let known = KNOWN_DISAGREEMENTS.iter().find(|(c, _)| *c == id);
            let tally = per_ecosystem.entry(ecosystem).or_default();
            match (check_case(&case, analyzer), known) {
                (Outcome::Agree, None) => tally.0 += 1,
                (Outcome::Agree, Some(_)) => {
                    tally.0 += 1;
                    unexpected.push(format!(
                        "{id}: now agrees; remove it from KNOWN_DISAGREEMENTS"
                    ));
                }
                (Outcome::Disagree(why), Some((_, reason))) => {
                    tally.1 += 1;
                    println!("known disagreement {id} ({reason}): {why}");
                }
                (Outcome::Disagree(why), None) => {
                    tally.1 += 1;
                    unexpected.push(format!("{id}: {why}"));
                }
                (Outcome::Skipped(why), _) => {
                    tally.2 += 1;
                    println!("skipped {id}: {why}");
                }
            }
        }
    }
    for (ecosystem, (agree, disagree, skipped)) in &per_ecosystem {
        let rate = 100.0 * *agree as f64 / (*agree + *disagree).max(1) as f64;
        println!(
            "{ecosystem}: {agree} agree, {disagree} disagree ({rate:.0}% of run), {skipped} skipped"
        );
    }
    for (ecosystem, floor) in FLOOR {
        let agree = per_ecosystem.get(ecosystem).map_or(0, |t| t.0);
        assert!(
            agree >= *floor,
            "{ecosystem}: {agree} cases agree, below the floor of {floor}"
        );
    }
    assert!(
        unexpected.is_empty(),
        "unexpected results:\n{}",
        unexpected.join("\n")
    );
}
