//! Times matching 10,000 packages against a database and prints the figure:
//! `cargo run --release -p kabuto-match --example bench_match -- DB`
//! (build DB with `cargo run --release -p kabuto-vulndb --example build_db -- DB /work/shared/vulndata`).
//!
//! The inventory is half real package names (Debian ones mostly up to date) from the database's ecosystems at versions old
//! enough to be affected, half names that are not in it (most packages of a real image have no
//! advisory at all).

use std::path::PathBuf;
use std::time::Instant;

use kabuto_types::{
    Artifact, ArtifactKind, Ecosystem, Inventory, OsFamily, OsInfo, Package, SourcePackage,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = PathBuf::from(std::env::args_os().nth(1).ok_or("usage: bench_match DB")?);
    let t = Instant::now();
    let db = kabuto_vulndb::Database::open(&path)?;
    println!("open: {:.2} ms", t.elapsed().as_secs_f64() * 1000.0);

    let known = [
        (Ecosystem::PyPi, "requests", "2.19.1"),
        (Ecosystem::PyPi, "urllib3", "1.22"),
        (Ecosystem::PyPi, "django", "1.11.0"),
        (Ecosystem::Npm, "lodash", "4.17.4"),
        (Ecosystem::Go, "golang.org/x/net", "v0.1.0"),
        (Ecosystem::Cargo, "smallvec", "0.6.0"),
        (Ecosystem::Gem, "rack", "1.3.7"),
        (Ecosystem::Composer, "symfony/symfony", "2.0.1"),
    ];
    let debian = [
        "openssl",
        "glibc",
        "curl",
        "expat",
        "python3.11",
        "openjdk-17",
        "postgresql-15",
    ];
    let mut packages = Vec::with_capacity(10_000);
    for i in 0..10_000 {
        let p = match i % 4 {
            0 => {
                let (eco, name, version) = known[i / 4 % known.len()];
                Package::new(eco, name, version, "bench", "bench")
            }
            1 => {
                let source = debian[i / 4 % debian.len()];
                // One in 50 is outdated; the rest are newer than every fix (compared, not reported).
                let version = if i % 200 == 1 { "1.0-1" } else { "9999.0-1" };
                let mut p = Package::new(
                    Ecosystem::Deb,
                    format!("lib{source}-{i}"),
                    version,
                    "bench",
                    "bench",
                );
                p.source = Some(SourcePackage {
                    name: source.into(),
                    version: version.into(),
                });
                p
            }
            2 => Package::new(
                Ecosystem::Npm,
                format!("no-such-package-{i}"),
                "1.0.0",
                "bench",
                "bench",
            ),
            _ => Package::new(
                Ecosystem::PyPi,
                format!("no-such-dist-{i}"),
                "1.0",
                "bench",
                "bench",
            ),
        };
        packages.push(p);
    }
    let inventory = Inventory {
        artifact: Artifact {
            name: "bench".into(),
            kind: ArtifactKind::Rootfs,
        },
        image: None,
        os: Some(OsInfo {
            family: OsFamily::Debian,
            version: "12.7".into(),
            pretty_name: None,
            codename: None,
        }),
        packages,
        warnings: Vec::new(),
    };
    let mut best = f64::MAX;
    let mut findings = 0;
    for _ in 0..5 {
        let t = Instant::now();
        findings = kabuto_match::match_inventory(&db, &inventory).len();
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
    }
    println!(
        "match {} packages: {best:.1} ms (best of 5), {findings} findings",
        inventory.packages.len()
    );
    Ok(())
}
