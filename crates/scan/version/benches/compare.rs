//! Plain `Instant` micro benchmark (no criterion): `cargo bench -p kabuto-version`.
//!
//! Prints nanoseconds per [`compare`] for each scheme on realistic version pairs, and the time
//! to match 10,000 package versions against advisory requirements, which must stay under the
//! 50 ms budget of a scan's matching step.

use std::hint::black_box;
use std::time::{Duration, Instant};

use kabuto_version::{RangeSyntax, Scheme, compare, parse_requirement};

/// Deterministic pseudo-random numbers so that runs are comparable.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % bound
    }
}

fn sample_version(scheme: Scheme, rng: &mut Lcg) -> String {
    let (a, b, c, d) = (rng.next(5), rng.next(20), rng.next(30), rng.next(9));
    match scheme {
        Scheme::Dpkg => format!(
            "{}:{a}.{b}.{c}-{d}ubuntu0.22.04.{}",
            rng.next(2),
            rng.next(4)
        ),
        Scheme::Rpm => format!("{a}.{b}.{c}-{d}.el9_{}", rng.next(4)),
        Scheme::Apk => format!("{a}.{b}.{c}_rc{d}-r{}", rng.next(5)),
        Scheme::Semver => format!("{a}.{b}.{c}-beta.{d}"),
        Scheme::Go => format!("v{a}.{b}.{c}-0.2023010{d}000000-abcdef123456"),
        Scheme::NuGet => format!("{a}.{b}.{c}.{d}"),
        Scheme::Pep440 => format!("{a}.{b}.{c}rc{d}.post1"),
        Scheme::Maven => format!("{a}.{b}.{c}.RELEASE-{d}"),
        Scheme::RubyGems => format!("{a}.{b}.{c}.pre{d}"),
        Scheme::Composer => format!("v{a}.{b}.{c}-beta{d}"),
    }
}

/// A typical two-interval advisory per scheme, in the syntax its feeds use.
fn sample_requirement(scheme: Scheme) -> (RangeSyntax, &'static str) {
    match scheme {
        Scheme::Semver => (RangeSyntax::Npm, ">=1.2.0 <1.9.3 || >=3.0.0 <3.4.1"),
        Scheme::Pep440 => (RangeSyntax::Pep440, ">=1.2,<1.9.3 || >=3.0,<3.4.1"),
        Scheme::Maven => (RangeSyntax::Maven, "[1.2,1.9.3),[3.0,3.4.1)"),
        Scheme::NuGet => (RangeSyntax::NuGet, "[1.2,1.9.3),[3.0,3.4.1)"),
        Scheme::RubyGems => (RangeSyntax::RubyGems, ">= 1.2, < 1.9.3"),
        Scheme::Composer => (RangeSyntax::Composer, ">=1.2,<1.9.3|>=3.0,<3.4.1"),
        Scheme::Go => (
            RangeSyntax::Comparators,
            ">= v1.2.0, < v1.9.3 || >= v3.0.0, < v3.4.1",
        ),
        Scheme::Dpkg | Scheme::Rpm | Scheme::Apk => (
            RangeSyntax::Comparators,
            ">= 1.2, < 1.9.3 || >= 3.0, < 3.4.1",
        ),
    }
}

const PACKAGES: usize = 10_000;
const ROUNDS: usize = 3;

fn main() {
    let mut rng = Lcg(42);
    let mut total_matching = Duration::ZERO;
    println!(
        "{:<10} {:>12} {:>16}",
        "scheme", "ns/compare", "10k matches (ms)"
    );
    for scheme in Scheme::ALL {
        let versions: Vec<String> = (0..PACKAGES)
            .map(|_| sample_version(scheme, &mut rng))
            .collect();
        // Best of a few rounds, the first of which also warms the caches.
        let per_compare = (0..ROUNDS)
            .map(|_| {
                let start = Instant::now();
                for pair in versions.windows(2) {
                    black_box(
                        compare(scheme, &pair[0], &pair[1]).expect("sample versions are valid"),
                    );
                }
                start.elapsed().as_nanos() as f64 / (PACKAGES - 1) as f64
            })
            .fold(f64::INFINITY, f64::min);

        let (syntax, text) = sample_requirement(scheme);
        let requirement = parse_requirement(scheme, syntax, text).expect("sample requirement");
        let start = Instant::now();
        let mut hits = 0;
        for version in &versions {
            hits += usize::from(
                requirement
                    .contains(version)
                    .expect("sample versions are valid"),
            );
        }
        let matching = start.elapsed();
        total_matching = total_matching.max(matching);
        black_box(hits);
        println!(
            "{:<10} {:>12.0} {:>16.2}",
            format!("{scheme:?}"),
            per_compare,
            matching.as_secs_f64() * 1e3
        );
    }
    println!("slowest scheme matched {PACKAGES} packages in {total_matching:?}");
    assert!(
        total_matching < Duration::from_millis(50),
        "matching {PACKAGES} packages took {total_matching:?}, budget is 50 ms"
    );
}
