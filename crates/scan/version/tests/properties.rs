//! Order laws for every scheme on generated versions: reflexivity, antisymmetry and
//! transitivity of [`compare`], and agreement with each scheme's spelling equivalences
//! (normalisation round trips, optional prefixes, padding).

use std::cmp::Ordering;

use kabuto_version::{Scheme, compare, composer, pep440};
use proptest::prelude::*;

/// Version shapes per scheme, kept to small alphabets so that equal and nearby versions occur.
fn versions(scheme: Scheme) -> BoxedStrategy<String> {
    let pattern = match scheme {
        Scheme::Dpkg => "([0-2]:)?[0-9][0-9a-c.+~]{0,5}(-[0-9a-c.+~]{1,3})?",
        Scheme::Rpm => "([0-2]:)?[0-9a-c.~^_]{0,6}(-[0-9a-c.~^]{1,3})?",
        Scheme::Apk => {
            "[0-9]{1,2}(\\.[0-9]{1,2}){0,2}[a-c]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]?){0,2}(~[0-9a-f]{1,2})?(-r[0-9])?"
        }
        Scheme::Semver => {
            "v?[0-9]{1,2}\\.[0-9]\\.[0-9](-[0-9a-c]{1,2}(\\.[0-9a-c]{1,2}){0,2})?(\\+[a-z0-9]{1,3})?"
        }
        Scheme::Go => {
            "v[0-2]\\.[0-2]\\.[0-2](-[0-9a-c]{1,2}(\\.[0-9a-c]{1,2})?)?(\\+incompatible)?"
        }
        Scheme::NuGet => {
            "[0-9]{1,2}(\\.[0-9]{1,2}){0,3}(-[0-9a-cA-C]{1,2}(\\.[0-9a-cA-C]{1,2}){0,2})?"
        }
        Scheme::Pep440 => {
            "([0-2]!)?[0-9]{1,2}(\\.[0-9]{1,2}){0,2}((a|b|rc|alpha|c|pre)[0-9]{0,2})?(\\.post[0-9]{0,2})?(\\.dev[0-9]{0,2})?(\\+[a-c0-9]{1,2}(\\.[a-c0-9]{1,2})?)?"
        }
        Scheme::Maven => {
            "[0-9a-c]{1,3}([.-][0-9a-c]{0,3}|-(alpha|beta|rc|sp|ga|final|snapshot)){0,4}"
        }
        Scheme::RubyGems => "[0-9]{1,2}(\\.([0-9]{1,2}|[a-c]{1,2})){0,4}(-[a-c0-9]{1,3})?",
        Scheme::Composer => {
            "v?[0-9]{1,2}(\\.[0-9]{1,2}){0,3}([-.]?(alpha|beta|RC|a|b|p|pl|patch|stable)[0-9]{0,2})?(-dev)?"
        }
    };
    proptest::string::string_regex(pattern)
        .expect("valid generator pattern")
        .boxed()
}

fn cmp(scheme: Scheme, a: &str, b: &str) -> Ordering {
    compare(scheme, a, b).unwrap_or_else(|e| panic!("generated version rejected: {e}"))
}

/// Spellings each scheme must treat as the same version as `v`.
fn equivalent_spellings(scheme: Scheme, v: &str) -> Vec<String> {
    let mut out = vec![format!("  {v} ")];
    match scheme {
        Scheme::Dpkg | Scheme::Rpm if !v.contains(':') => out.push(format!("0:{v}")),
        Scheme::Semver if !v.starts_with('v') => out.push(format!("v{v}")),
        Scheme::Semver | Scheme::Go => {
            let bare = v.split('+').next().unwrap_or(v);
            out.push(format!("{bare}+other.build"));
        }
        Scheme::NuGet => out.push(v.to_ascii_uppercase()),
        Scheme::Maven => out.push(v.to_ascii_uppercase()),
        Scheme::RubyGems if !v.contains('-') => out.push(format!("{v}.0")),
        Scheme::Pep440 => {
            let normal = pep440::normalize(v).expect("generated version parses");
            assert_eq!(pep440::normalize(&normal).as_deref(), Ok(normal.as_str()));
            out.push(normal);
            out.push(v.to_ascii_uppercase());
        }
        Scheme::Composer => {
            let normal = composer::normalize(v).expect("generated version parses");
            assert_eq!(composer::normalize(&normal).as_deref(), Ok(normal.as_str()));
            out.push(normal);
        }
        _ => {}
    }
    out
}

fn check_laws(scheme: Scheme, a: &str, b: &str, c: &str) {
    assert_eq!(
        cmp(scheme, a, a),
        Ordering::Equal,
        "{scheme:?}: {a} != itself"
    );
    let (ab, ba) = (cmp(scheme, a, b), cmp(scheme, b, a));
    assert_eq!(ab, ba.reverse(), "{scheme:?}: {a} vs {b} not antisymmetric");
    let (bc, ac) = (cmp(scheme, b, c), cmp(scheme, a, c));
    if ab != Ordering::Greater && bc != Ordering::Greater {
        assert_ne!(
            ac,
            Ordering::Greater,
            "{scheme:?}: {a} <= {b} <= {c} but {a} > {c}"
        );
    }
    if ab == Ordering::Equal && bc == Ordering::Equal {
        assert_eq!(
            ac,
            Ordering::Equal,
            "{scheme:?}: {a} == {b} == {c} but {a} != {c}"
        );
    }
    for spelling in equivalent_spellings(scheme, a) {
        assert_eq!(
            cmp(scheme, &spelling, a),
            Ordering::Equal,
            "{scheme:?}: {spelling:?} != {a}"
        );
        assert_eq!(
            cmp(scheme, &spelling, b),
            ab,
            "{scheme:?}: {spelling:?} vs {b}"
        );
    }
}

macro_rules! scheme_laws {
    ($($name:ident => $scheme:expr),* $(,)?) => {$(
        proptest! {
            #![proptest_config(ProptestConfig::with_cases(512))]
            #[test]
            fn $name(
                (a, b, c) in (versions($scheme), versions($scheme), versions($scheme))
            ) {
                check_laws($scheme, &a, &b, &c);
            }
        }
    )*};
}

scheme_laws! {
    dpkg_order_laws => Scheme::Dpkg,
    rpm_order_laws => Scheme::Rpm,
    apk_order_laws => Scheme::Apk,
    semver_order_laws => Scheme::Semver,
    go_order_laws => Scheme::Go,
    nuget_order_laws => Scheme::NuGet,
    pep440_order_laws => Scheme::Pep440,
    maven_order_laws => Scheme::Maven,
    rubygems_order_laws => Scheme::RubyGems,
    composer_order_laws => Scheme::Composer,
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Arbitrary text never panics, and whenever both sides parse the order is antisymmetric.
    #[test]
    fn arbitrary_text_is_handled(
        a in "[0-9a-zA-Z.~^_+:!*<>= -]{0,12}|\\PC{0,8}",
        b in "[0-9a-zA-Z.~^_+:!*<>= -]{0,12}|\\PC{0,8}",
    ) {
        for scheme in Scheme::ALL {
            let _ = kabuto_version::validate(scheme, &a);
            if let (Ok(ab), Ok(ba)) = (compare(scheme, &a, &b), compare(scheme, &b, &a)) {
                prop_assert_eq!(ab, ba.reverse(), "{:?}: {} vs {}", scheme, a, b);
            }
            let syntax = kabuto_version::RangeSyntax::for_scheme(scheme);
            if let Ok(requirement) = kabuto_version::parse_requirement(scheme, syntax, &a) {
                let _ = requirement.contains(&b);
            }
        }
    }
}
