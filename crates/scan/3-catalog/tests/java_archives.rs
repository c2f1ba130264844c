//! Java archive analyzer on jars, wars and nested archives built in memory.

// Test helpers outside #[test] fns: a fixture that fails to build should panic.
#![allow(clippy::unwrap_used)]

#[path = "fixtures/java/jar_builder.rs"]
mod jar_builder;

use jar_builder::{jar, maven_jar, pom_properties, scenario_dirs, zip_tree};
use kabuto_catalog::binary::JavaArchiveAnalyzer;
use kabuto_catalog::{Analyzer, Evidence, FileInput, FileMeta};

/// (name, version, location) of every package found, sorted.
fn scan(path: &str, content: &[u8]) -> (Vec<(String, String, String)>, Vec<String>) {
    let out = JavaArchiveAnalyzer
        .analyze(FileInput { path, content })
        .unwrap();
    let mut found: Vec<_> = out
        .packages
        .into_iter()
        .map(|p| {
            assert_eq!(p.found_by, "java-archive");
            (p.name, p.version, p.locations[0].path.clone())
        })
        .collect();
    found.sort();
    (found, out.warnings)
}

fn triples(list: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    let mut v: Vec<_> = list
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    v.sort();
    v
}

#[test]
fn wants_java_archives_only() {
    let meta = FileMeta {
        size: 1,
        mode: 0o644,
    };
    for path in ["app/a.jar", "opt/x.WAR", "b.ear", "c.par"] {
        assert!(JavaArchiveAnalyzer.wants(path, &meta), "{path}");
    }
    for path in ["a.jar.sha1", "jar", "a.zip", "lib/a.class"] {
        assert!(!JavaArchiveAnalyzer.wants(path, &meta), "{path}");
    }
    assert_eq!(JavaArchiveAnalyzer.evidence(), Evidence::Installed);
}

#[test]
fn war_with_libraries_in_web_inf_lib() {
    let (own_pom_path, own_pom) = pom_properties("com.example", "web-app", "1.0-SNAPSHOT");
    let war = jar(&[
        (&own_pom_path, own_pom),
        (
            "WEB-INF/lib/jackson-core-2.9.10.jar",
            maven_jar("com.fasterxml.jackson.core", "jackson-core", "2.9.10"),
        ),
        (
            "WEB-INF/lib/slf4j-api-1.7.30.jar",
            maven_jar("org.slf4j", "slf4j-api", "1.7.30"),
        ),
        ("WEB-INF/web.xml", b"<web-app/>".to_vec()),
    ]);
    let (found, warnings) = scan("srv/app/web-app.war", &war);
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(
        found,
        triples(&[
            ("com.example:web-app", "1.0-SNAPSHOT", "srv/app/web-app.war"),
            (
                "com.fasterxml.jackson.core:jackson-core",
                "2.9.10",
                "srv/app/web-app.war!/WEB-INF/lib/jackson-core-2.9.10.jar"
            ),
            (
                "org.slf4j:slf4j-api",
                "1.7.30",
                "srv/app/web-app.war!/WEB-INF/lib/slf4j-api-1.7.30.jar"
            ),
        ])
    );
}

#[test]
fn nested_three_deep_and_spring_boot_layout() {
    let (p3, pom3) = pom_properties("test", "nested3", "0.0.3");
    let (p2, pom2) = pom_properties("test", "nested2", "0.0.2");
    let (p1, pom1) = pom_properties("test", "nested", "0.0.1");
    let inner = jar(&[(&p3, pom3)]);
    let middle = jar(&[(&p2, pom2), ("META-INF/jars/nested3.jar", inner)]);
    let outer = jar(&[
        (&p1, pom1),
        ("META-INF/jars/nested2.jar", middle),
        (
            "BOOT-INF/lib/guava-29.0-jre.jar",
            maven_jar("com.google.guava", "guava", "29.0-jre"),
        ),
    ]);
    let (found, _) = scan("nested.jar", &outer);
    assert_eq!(
        found,
        triples(&[
            ("test:nested", "0.0.1", "nested.jar"),
            (
                "test:nested2",
                "0.0.2",
                "nested.jar!/META-INF/jars/nested2.jar"
            ),
            (
                "test:nested3",
                "0.0.3",
                "nested.jar!/META-INF/jars/nested2.jar!/META-INF/jars/nested3.jar"
            ),
            (
                "com.google.guava:guava",
                "29.0-jre",
                "nested.jar!/BOOT-INF/lib/guava-29.0-jre.jar"
            ),
        ])
    );
}

#[test]
fn manifest_then_file_name_when_no_own_pom_properties() {
    let manifest = b"Manifest-Version: 1.0\r\nImplementation-Title: Spring Framework\r\n\
        Implementation-Version: 2.5.6.SEC03\r\nImplementation-Vendor-Id: org.springframework\r\n\r\n";
    let from_manifest = jar(&[("META-INF/MANIFEST.MF", manifest.to_vec())]);
    assert_eq!(
        scan("test.jar", &from_manifest).0,
        triples(&[(
            "org.springframework:Spring Framework",
            "2.5.6.SEC03",
            "test.jar"
        )])
    );
    let bare = jar(&[("com/example/A.class", vec![0xca, 0xfe])]);
    assert_eq!(
        scan("lib/heuristic-1.0.0-SNAPSHOT.jar", &bare).0,
        triples(&[(
            "heuristic",
            "1.0.0-SNAPSHOT",
            "lib/heuristic-1.0.0-SNAPSHOT.jar"
        )])
    );
    assert_eq!(scan("lib/app.jar", &bare).0, vec![]);
}

#[test]
fn shaded_pom_properties_plus_own_manifest() {
    // A fat jar whose own pom.properties is absent: shaded artifacts and the manifest both count.
    let (pg, pom_guava) = pom_properties("com.google.guava", "guava", "29.0-jre");
    let fat = jar(&[
        (
            "META-INF/MANIFEST.MF",
            b"Bundle-SymbolicName: org.example.fat\nBundle-Name: fat\nBundle-Version: 2.0\n"
                .to_vec(),
        ),
        (&pg, pom_guava),
    ]);
    assert_eq!(
        scan("fat-2.0.jar", &fat).0,
        triples(&[
            ("com.google.guava:guava", "29.0-jre", "fat-2.0.jar"),
            ("org.example:fat", "2.0", "fat-2.0.jar"),
        ])
    );
}

#[test]
fn not_a_zip_is_an_error_and_broken_nested_jar_a_warning() {
    assert!(
        JavaArchiveAnalyzer
            .analyze(FileInput {
                path: "a.jar",
                content: b"PK\x03\x04garbage"
            })
            .is_err()
    );
    let outer = jar(&[
        ("lib/broken-1.0.jar", b"not a zip".to_vec()),
        ("lib/good-1.0.jar", maven_jar("g", "good", "1.0")),
    ]);
    let (found, warnings) = scan("outer.jar", &outer);
    assert_eq!(
        found,
        triples(&[("g:good", "1.0", "outer.jar!/lib/good-1.0.jar")])
    );
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("outer.jar!/lib/broken-1.0.jar"),
        "{warnings:?}"
    );
}

#[test]
fn zip_bombs_and_deep_nesting_end_in_warnings() {
    // A pom.properties inflating to 4 MiB (limit 1 MiB) and a nested jar of 160 MiB
    // (limit 128 MiB): both skipped with a warning naming the member.
    let (pom_path, mut pom) = pom_properties("g", "a", "1");
    pom.resize(4 * 1024 * 1024, b'#');
    let bomb = jar(&[
        (&pom_path, pom),
        ("lib/big.jar", vec![0; 160 * 1024 * 1024]),
    ]);
    assert!(bomb.len() < 1024 * 1024);
    let (found, warnings) = scan("bomb.jar", &bomb);
    assert_eq!(found, vec![]);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings.iter().all(|w| w.contains("size limit")),
        "{warnings:?}"
    );

    let mut nested = maven_jar("deep", "leaf", "1");
    for level in 0..8 {
        nested = jar(&[(&format!("lib/level{level}.jar"), nested)]);
    }
    let (found, warnings) = scan("deep.jar", &nested);
    assert_eq!(found, vec![]);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("nest deeper"), "{warnings:?}");
}

#[test]
fn truncated_and_corrupted_archives_never_panic() {
    let war = jar(&[
        ("WEB-INF/lib/a-1.0.jar", maven_jar("g", "a", "1.0")),
        (
            "META-INF/MANIFEST.MF",
            b"Implementation-Title: x\n".to_vec(),
        ),
    ]);
    for len in (0..war.len()).step_by(5) {
        let _ = JavaArchiveAnalyzer.analyze(FileInput {
            path: "a.war",
            content: &war[..len],
        });
    }
    for at in (0..war.len()).step_by(3) {
        let mut flipped = war.clone();
        flipped[at] ^= 0xff;
        let _ = JavaArchiveAnalyzer.analyze(FileInput {
            path: "a.war",
            content: &flipped,
        });
    }
}

/// Each folder of `fixtures/java/licenses/` is one scenario: `archive/` holds the members
/// (manifests, pom.properties, pom.xml, nested archives as folders) and `expected.json`
/// the packages with their licences and the number of warnings.
#[test]
fn declared_licences_per_scenario() {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/java/licenses");
    for scenario in scenario_dirs(&root, 7) {
        let expected: serde_json::Value =
            serde_json::from_slice(&std::fs::read(scenario.join("expected.json")).unwrap())
                .unwrap();
        let archive = zip_tree(&scenario.join("archive"));
        let path = expected["archive"].as_str().unwrap();
        let out = JavaArchiveAnalyzer
            .analyze(FileInput {
                path,
                content: &archive,
            })
            .unwrap_or_else(|e| panic!("{}: {e}", scenario.display()));
        let mut got: Vec<_> = out
            .packages
            .iter()
            .map(|p| {
                (
                    p.name.clone(),
                    p.version.clone(),
                    p.locations[0].path.clone(),
                    p.licenses.clone(),
                )
            })
            .collect();
        got.sort();
        let mut want: Vec<_> = expected["packages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let s = |k: &str| p[k].as_str().unwrap().to_owned();
                let licenses = p["licenses"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|l| l.as_str().unwrap().to_owned())
                    .collect::<Vec<_>>();
                (s("name"), s("version"), s("location"), licenses)
            })
            .collect();
        want.sort();
        assert_eq!(got, want, "{}", scenario.display());
        assert_eq!(
            out.warnings.len() as u64,
            expected["warnings"].as_u64().unwrap(),
            "{}: {:?}",
            scenario.display(),
            out.warnings
        );
        if let Some(needle) = expected["warning_contains"].as_str() {
            assert!(
                out.warnings.iter().any(|w| w.contains(needle)),
                "{:?}",
                out.warnings
            );
        }
    }
}

#[test]
fn oversized_pom_xml_is_skipped_with_a_warning() {
    let (props_path, props) = pom_properties("g", "big", "1");
    let mut pom = b"<project><licenses><license><name>MIT</name></license></licenses>".to_vec();
    pom.resize(2 * 1024 * 1024, b' ');
    pom.extend_from_slice(b"</project>");
    let archive = jar(&[(&props_path, props), ("META-INF/maven/g/big/pom.xml", pom)]);
    let out = JavaArchiveAnalyzer
        .analyze(FileInput {
            path: "big-1.jar",
            content: &archive,
        })
        .unwrap();
    assert_eq!(out.packages.len(), 1);
    assert!(out.packages[0].licenses.is_empty());
    assert!(
        out.warnings
            .iter()
            .any(|w| w.contains("pom.xml") && w.contains("size limit")),
        "{:?}",
        out.warnings
    );
}
