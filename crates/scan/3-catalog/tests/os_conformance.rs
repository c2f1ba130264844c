//! Conformance of the OS analyzers with the peers' own test fixtures
//! (`/work/shared/conformance/peer-fixtures`: Trivy's os and pkg analyzers, Syft's alpine,
//! debian and redhat catalogers, go-rpmdb). Skips with a note when the corpus is absent.
//!
//! Packages are compared as sets keyed on (name, full version `[epoch:]version[-release]`);
//! beyond the key, only fields the peer asserted are compared: arch, source name and version,
//! and for rpm the licence and vendor. Licences of apk packages are not compared: Trivy
//! rewrites them to SPDX ids (`GPL2` -> `GPL-2.0-only`) and Syft splits apk's `L:` on
//! spaces; we keep the declared text. Deb licences come from copyright files, compared
//! with Trivy's copyright analyzer cases (SPDX ids, in order of first mention).
//!
//! Every case either passes or is listed in [`KNOWN_DIFFERENCES`] with the reason; a listed
//! case must still differ, so the table cannot go stale.

mod os_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use kabuto_catalog::os::rpm::{self, RpmHeader};
use kabuto_catalog::os::{analyzers, apk, dpkg, pick_os, qualify_os_packages};
use kabuto_catalog::{FileInput, FileMeta, MAX_PACKAGES_PER_DATABASE as MAX, PackageLicenses};
use kabuto_types::{Ecosystem, OsFamily, OsInfo, Package, Purl};
use serde_json::Value;

const CORPUS: &str = "/work/shared/conformance/peer-fixtures";

/// Cases where we knowingly answer differently from the peer, and why.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "trivy/analyzer-os-ubuntu/Test_ubuntuESMAnalyzer_Analyze-happy_path._Parse_status.json_file_ESM_enabled",
        "Ubuntu Pro/ESM status (var/lib/ubuntu-advantage/status.json) is not read: OsInfo has no \
         field for it. It decides which Ubuntu advisories apply, so it belongs with matching.",
    ),
    (
        "syft/debian/Test_parseDpkgStatus-multiple_entries",
        "Syft reports a stanza without Version (`no-version`); we drop it with a warning as Trivy \
         does: a package without a version cannot be matched against advisories.",
    ),
];

/// Peer cases that agree, per ecosystem: os 38/39, deb 14/15, apk 4/4, rpm 6/6.
const MIN_AGREEING: [(&str, usize); 4] = [("os", 38), ("deb", 14), ("apk", 4), ("rpm", 6)];

/// What a case's comparison found.
struct Outcome {
    ecosystem: &'static str,
    dir: String,
    problems: Vec<String>,
}

fn json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn only_file(dir: &Path) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join("input"))
        .expect("input dir")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    files.remove(0)
}

fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `[epoch:]version[-release]` from the separate fields Trivy and go-rpmdb report.
fn evr(v: &Value, epoch: &str, version: &str, release: &str) -> String {
    let mut out = String::new();
    if let Some(e) = v.get(epoch).and_then(Value::as_u64).filter(|e| *e > 0) {
        out.push_str(&format!("{e}:"));
    }
    out.push_str(&text(v, version).unwrap_or_default());
    if let Some(r) = text(v, release) {
        out.push('-');
        out.push_str(&r);
    }
    out
}

/// One expected package: its key and the fields the peer asserted.
struct Want {
    name: String,
    version: String,
    fields: Vec<(&'static str, String)>,
}

fn field_of(p: &Package, field: &str) -> Option<String> {
    match field {
        "arch" => p.arch.clone(),
        "source_name" => p.source.as_ref().map(|s| s.name.clone()),
        "source_version" => p.source.as_ref().map(|s| s.version.clone()),
        "license" => p.licenses.first().cloned(),
        _ => None,
    }
}

/// Compares as sets on (name, version); `subset` when the peer asserted only some packages.
fn compare(ours: &[Package], wants: &[Want], subset: bool) -> Vec<String> {
    let by_key: BTreeMap<(&str, &str), &Package> = ours
        .iter()
        .map(|p| ((p.name.as_str(), p.version.as_str()), p))
        .collect();
    let mut problems = Vec::new();
    for want in wants {
        let Some(p) = by_key.get(&(want.name.as_str(), want.version.as_str())) else {
            problems.push(format!("missing {} {}", want.name, want.version));
            continue;
        };
        for (field, value) in &want.fields {
            let got = field_of(p, field);
            if got.as_deref() != Some(value.as_str()) {
                problems.push(format!(
                    "{} {field}: want {value:?}, got {got:?}",
                    want.name
                ));
            }
        }
    }
    if !subset {
        for p in ours {
            if !wants
                .iter()
                .any(|w| w.name == p.name && w.version == p.version)
            {
                problems.push(format!("extra {} {}", p.name, p.version));
            }
        }
    }
    problems
}

fn trivy_wants(packages: &[Value]) -> Vec<Want> {
    packages
        .iter()
        .map(|p| {
            let mut fields = Vec::new();
            if let Some(arch) = text(p, "arch") {
                fields.push(("arch", arch));
            }
            if let Some(src) = text(p, "srcName") {
                fields.push(("source_name", src));
                fields.push((
                    "source_version",
                    evr(p, "srcEpoch", "srcVersion", "srcRelease"),
                ));
            }
            Want {
                name: text(p, "name").unwrap_or_default(),
                version: evr(p, "epoch", "version", "release"),
                fields,
            }
        })
        .collect()
}

/// Runs every OS analyzer that wants `path` over `content`, as the pipeline would.
fn run_os_analyzers(path: &str, content: &[u8]) -> (Option<kabuto_types::OsInfo>, Vec<Package>) {
    let (os, packages, _) = run_os_analyzers_with_licenses(path, content);
    (os, packages)
}

/// [`run_os_analyzers`], also returning licences declared for packages.
fn run_os_analyzers_with_licenses(
    path: &str,
    content: &[u8],
) -> (
    Option<kabuto_types::OsInfo>,
    Vec<Package>,
    Vec<PackageLicenses>,
) {
    let meta = FileMeta {
        size: content.len() as u64,
        mode: 0o644,
    };
    let mut os = Vec::new();
    let mut packages = Vec::new();
    let mut declared = Vec::new();
    for analyzer in analyzers().iter().filter(|a| a.wants(path, &meta)) {
        let out = analyzer
            .analyze(FileInput { path, content })
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        os.extend(out.os.map(|o| (path.to_owned(), o)));
        packages.extend(out.packages);
        declared.extend(out.package_licenses);
    }
    (pick_os(os), packages, declared)
}

fn os_case(dir: &Path, group: &str) -> Vec<String> {
    let input = only_file(dir);
    let file_name = input
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let path = match group {
        "analyzer-os-release" => "etc/os-release".to_owned(),
        "analyzer-os-debian" => "etc/debian_version".to_owned(),
        "analyzer-os-ubuntu" if file_name.ends_with(".json") => {
            "var/lib/ubuntu-advantage/status.json".to_owned()
        }
        _ => format!("etc/{file_name}"),
    };
    let content = std::fs::read(&input).expect("input");
    let (os, _) = run_os_analyzers(&path, &content);
    let want = json(&dir.join("expected.json"));
    let want_os = want.get("os").filter(|o| !o.is_null());
    let got = os.map(|o| (o.family.as_str().to_owned(), o.version));
    let expected = want_os.map(|o| {
        (
            text(o, "family").unwrap_or_default(),
            text(o, "name").unwrap_or_default(),
        )
    });
    if got == expected {
        vec![]
    } else {
        vec![format!("os: want {expected:?}, got {got:?}")]
    }
}

fn trivy_dpkg_case(dir: &Path) -> Vec<String> {
    let status = dir.join("input/rootfs/var/lib/dpkg/status");
    let want = json(&dir.join("expected.json"));
    let Ok(content) = std::fs::read(&status) else {
        return trivy_copyright_case(dir, &want);
    };
    let ours = dpkg::parse_status(&content, "var/lib/dpkg/status", "dpkg", MAX).packages;
    let packages = want["packageInfos"][0]["packages"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    compare(&ours, &trivy_wants(&packages), false)
}

/// A copyright-file licence case: Trivy's want is `null` (no licence) or one licence file
/// naming the package and its licences in order.
fn trivy_copyright_case(dir: &Path, want: &Value) -> Vec<String> {
    let content = std::fs::read(only_file(dir)).expect("input");
    let file = &want["licenses"][0];
    let path = text(file, "filePath").unwrap_or_else(|| "usr/share/doc/pkg/copyright".into());
    let (_, _, declared) = run_os_analyzers_with_licenses(&path, &content);
    let got: Vec<(String, Vec<String>)> = declared
        .into_iter()
        .map(|d| (d.package_name, d.licenses))
        .collect();
    let expected: Vec<(String, Vec<String>)> = match file {
        Value::Null => vec![],
        _ => vec![(
            text(file, "pkgName").unwrap_or_default(),
            file["findings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| text(f, "name"))
                .collect(),
        )],
    };
    if got == expected {
        vec![]
    } else {
        vec![format!("licences: want {expected:?}, got {got:?}")]
    }
}

fn trivy_apk_case(dir: &Path) -> Vec<String> {
    let content = std::fs::read(only_file(dir)).expect("input");
    let ours = apk::parse_installed(&content, "lib/apk/db/installed", "apk", MAX).packages;
    let want = json(&dir.join("expected.json"));
    compare(&ours, &trivy_wants(want.as_array().expect("list")), false)
}

fn syft_apk_case(dir: &Path) -> Vec<String> {
    let content = std::fs::read(only_file(dir)).expect("input");
    let ours = apk::parse_installed(&content, "lib/apk/db/installed", "apk", MAX).packages;
    let want = json(&dir.join("expected.json"));
    let wants: Vec<Want> = want
        .as_array()
        .expect("list")
        .iter()
        .map(|p| {
            let meta = &p["metadata"];
            let mut fields = vec![];
            fields.extend(text(meta, "architecture").map(|a| ("arch", a)));
            fields.extend(text(meta, "originPackage").map(|o| ("source_name", o)));
            Want {
                name: text(p, "name").unwrap_or_default(),
                version: text(p, "version").unwrap_or_default(),
                fields,
            }
        })
        .collect();
    compare(&ours, &wants, false)
}

fn syft_dpkg_case(dir: &Path) -> Vec<String> {
    let content = std::fs::read(only_file(dir)).expect("input");
    let ours = dpkg::parse_status(&content, "var/lib/dpkg/status", "dpkg", MAX).packages;
    let want = json(&dir.join("expected.json"));
    let wants: Vec<Want> = want
        .as_array()
        .expect("list")
        .iter()
        .map(|p| {
            let mut fields = vec![];
            fields.extend(text(p, "architecture").map(|a| ("arch", a)));
            fields.extend(text(p, "source").map(|s| ("source_name", s)));
            Want {
                name: text(p, "package").unwrap_or_default(),
                version: text(p, "version").unwrap_or_default(),
                fields,
            }
        })
        .collect();
    compare(&ours, &wants, false)
}

fn syft_rpm_case(dir: &Path) -> Vec<String> {
    let input = only_file(dir);
    let content = std::fs::read(&input).expect("input");
    let ours = if input.ends_with("container-manifest-2") {
        rpm::manifest::parse_manifest(
            &content,
            "var/lib/rpmmanifest/container-manifest-2",
            "rpm-manifest",
        )
        .0
    } else {
        match rpm::parse_rpmdb(&content, "var/lib/rpm/Packages", "rpm", MAX) {
            Ok(out) => out.packages,
            Err(e) => return vec![e.to_string()],
        }
    };
    let want = json(&dir.join("expected.json"));
    let wants: Vec<Want> = want
        .as_array()
        .expect("list")
        .iter()
        .map(|p| {
            let meta = &p["metadata"];
            let mut fields = vec![];
            fields.extend(text(meta, "arch").map(|a| ("arch", a)));
            if let Some((name, _, _)) = text(meta, "sourceRpm")
                .as_deref()
                .and_then(rpm::split_source_rpm)
            {
                fields.push(("source_name", name.to_owned()));
            }
            if let Some(license) = p["licenses"]
                .as_array()
                .and_then(|l| l.first())
                .and_then(Value::as_str)
            {
                fields.push(("license", license.to_owned()));
            }
            Want {
                name: text(p, "name").unwrap_or_default(),
                version: text(p, "version").unwrap_or_default(),
                fields,
            }
        })
        .collect();
    compare(&ours, &wants, false)
}

/// go-rpmdb asserts header fields, including the vendor, which [`Package`] does not carry:
/// compare the parsed headers directly.
fn go_rpmdb_case(dir: &Path) -> Vec<String> {
    let content = std::fs::read(only_file(dir)).expect("input");
    let meta = json(&dir.join("meta.json"));
    let headers: Vec<RpmHeader> = match rpm::header_blobs(&content) {
        Ok(blobs) => blobs
            .into_iter()
            .filter_map(|b| b.and_then(|b| rpm::parse_header(&b)).ok())
            .filter(|h| h.name != "gpg-pubkey")
            .collect(),
        Err(e) => return vec![e.to_string()],
    };
    let want = json(&dir.join("expected.json"));
    let wants = want.as_array().expect("list");
    let mut problems = Vec::new();
    // TestRpmDB_Package asserts one named package of a larger database.
    if meta.get("pkgName").is_none() && headers.len() != wants.len() {
        problems.push(format!("{} packages, want {}", headers.len(), wants.len()));
    }
    for w in wants {
        let name = text(w, "name").unwrap_or_default();
        let Some(h) = headers.iter().find(|h| h.name == name) else {
            problems.push(format!("missing {name}"));
            continue;
        };
        let got = [
            h.evr(),
            h.arch.clone().unwrap_or_default(),
            h.source_rpm.clone().unwrap_or_default(),
            h.license.clone().unwrap_or_default(),
            h.vendor.clone().unwrap_or_default(),
        ];
        let expected = [
            evr(w, "epoch", "version", "release"),
            text(w, "arch").unwrap_or_default(),
            text(w, "sourceRpm").unwrap_or_default(),
            text(w, "license").unwrap_or_default(),
            text(w, "vendor").unwrap_or_default(),
        ];
        if got != expected {
            problems.push(format!("{name}: want {expected:?}, got {got:?}"));
        }
    }
    problems
}

fn run_case(dir: &str, root: &Path) -> Option<Outcome> {
    let path = root.join(dir);
    let (peer_group, _case) = dir.rsplit_once('/')?;
    let group = peer_group
        .split_once('/')
        .map(|(_, g)| g)
        .unwrap_or(peer_group);
    let (ecosystem, problems) = match peer_group {
        g if g.starts_with("trivy/analyzer-os-") => ("os", os_case(&path, group)),
        "trivy/analyzer-pkg-dpkg" => ("deb", trivy_dpkg_case(&path)),
        "trivy/analyzer-pkg-apk" => ("apk", trivy_apk_case(&path)),
        "syft/alpine" => ("apk", syft_apk_case(&path)),
        "syft/debian" => ("deb", syft_dpkg_case(&path)),
        "syft/redhat" => ("rpm", syft_rpm_case(&path)),
        "go-rpmdb" => ("rpm", go_rpmdb_case(&path)),
        _ => return None,
    };
    Some(Outcome {
        ecosystem,
        dir: dir.to_owned(),
        problems,
    })
}

#[test]
fn os_analyzers_agree_with_peer_fixtures() {
    let Some(root) = os_support::shared_path(CORPUS) else {
        return;
    };
    let index = json(&root.join("INDEX.json"));
    let outcomes: Vec<Outcome> = index
        .as_array()
        .expect("INDEX.json is a list")
        .iter()
        .filter_map(|row| row["dir"].as_str())
        .filter_map(|dir| run_case(dir, &root))
        .collect();

    let mut rates: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut unexpected = Vec::new();
    for o in &outcomes {
        let known = KNOWN_DIFFERENCES.iter().find(|(d, _)| *d == o.dir);
        let entry = rates.entry(o.ecosystem).or_default();
        entry.1 += 1;
        match (o.problems.is_empty(), known) {
            (true, None) => entry.0 += 1,
            (true, Some(_)) => unexpected.push(format!(
                "{}: listed as a known difference but now agrees",
                o.dir
            )),
            (false, Some((_, reason))) => {
                println!("known difference {}: {reason}\n    {:?}", o.dir, o.problems)
            }
            (false, None) => unexpected.push(format!("{}: {:?}", o.dir, o.problems)),
        }
    }
    for (ecosystem, (passed, total)) in &rates {
        println!("{ecosystem}: {passed}/{total} peer cases agree");
    }
    for (dir, _) in KNOWN_DIFFERENCES {
        assert!(
            outcomes.iter().any(|o| o.dir == *dir),
            "known difference {dir} is not in the corpus"
        );
    }
    assert!(
        unexpected.is_empty(),
        "disagreements:\n{}",
        unexpected.join("\n")
    );
    // The agreement reached when this test was written; it may only go up.
    for (ecosystem, minimum) in MIN_AGREEING {
        let (passed, total) = rates.get(ecosystem).copied().unwrap_or_default();
        assert!(
            passed >= minimum,
            "{ecosystem}: {passed}/{total} agree, want at least {minimum}"
        );
    }
}

/// Trivy's image goldens name the OS and, per vulnerable OS package, its installed version
/// and purl: [`qualify_os_packages`] must build the same purl from name, version and arch.
#[test]
fn os_purls_agree_with_trivy_image_goldens() {
    let Some(root) = os_support::shared_path(CORPUS) else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("trivy/integration-golden"))
        .expect("goldens")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    let (mut checked, mut families) = (0, std::collections::BTreeSet::new());
    for file in files {
        let Ok(golden) =
            serde_json::from_str::<Value>(&std::fs::read_to_string(&file).unwrap_or_default())
        else {
            continue;
        };
        let os = &golden["Metadata"]["OS"];
        let Some(family) = OsFamily::ALL
            .into_iter()
            .find(|f| Some(f.as_str()) == os["Family"].as_str())
        else {
            continue;
        };
        let os = OsInfo {
            family,
            version: text(os, "Name").unwrap_or_default(),
            pretty_name: None,
            codename: None,
        };
        let results = golden["Results"].as_array().cloned().unwrap_or_default();
        for result in results.iter().filter(|r| r["Class"] == "os-pkgs") {
            for vuln in result["Vulnerabilities"].as_array().into_iter().flatten() {
                let Some(want) = vuln["PkgIdentifier"]["PURL"].as_str() else {
                    continue;
                };
                let want_purl: Purl = want.parse().expect("golden purl parses");
                let ecosystem: Ecosystem = want_purl.ty().parse().expect("os purl type");
                let name = text(vuln, "PkgName").unwrap_or_default();
                let version = text(vuln, "InstalledVersion").unwrap_or_default();
                let mut packages = vec![Package::new(ecosystem, &name, &version, "x", "test")];
                packages[0].arch = want_purl.qualifiers().get("arch").cloned();
                qualify_os_packages(&os, &mut packages);
                assert_eq!(
                    packages[0].purl.to_string(),
                    want_purl.to_string(),
                    "{}",
                    file.display()
                );
                checked += 1;
                families.insert(family.as_str());
            }
        }
    }
    println!("purls: {checked} agree with Trivy across {families:?}");
    assert!(
        checked >= 70 && families.len() >= 12,
        "{checked} purls, {families:?}"
    );
}
