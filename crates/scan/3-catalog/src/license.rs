//! Declared licence names rewritten to SPDX ids where the name is unambiguous enough, as
//! Trivy does: `GPL-2+` -> `GPL-2.0-or-later`, `Expat` -> `MIT`, `BSD-3-clause` ->
//! `BSD-3-Clause`. Names that match nothing are kept exactly as written, so no information
//! is lost (`BSD-4-clause-POWERDOG`, `public-domain`).
//!
//! Normalisation works on a standardised key: upper case, single spaces, no `LICENSE`
//! suffix, an `or later` marker (`+`, `-or-later`) taken off and remembered, an `-only`
//! marker dropped, and a version glued to the name written `NAME-VERSION` (`GPLv2` ->
//! `GPL-2`). The key is then looked up in [`ALIASES`] (short names Debian and other
//! ecosystems use that are not SPDX ids) and, failing that, in the SPDX licence list itself
//! ignoring case.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;

/// Standardised key -> (SPDX id, implied `or later`). Mostly the Debian short names
/// (DEP-5 section 7.2) and their common spellings. Ambiguous bare names get the reading
/// Trivy gives them (`GPL` is GPL-2.0 or later, `BSD` is BSD-3-Clause, `Artistic` is
/// Artistic-2.0) so that the two tools report the same ids.
const ALIASES: &[(&str, &str, bool)] = &[
    ("AFL", "AFL-3.0", false),
    // Full names as Maven poms and manifests spell them, after `standard_key`.
    ("APACHE SOFTWARE-2.0", "Apache-2.0", false),
    ("ASL-2.0", "Apache-2.0", false),
    ("ECLIPSE PUBLIC LICENSE-1.0", "EPL-1.0", false),
    ("ECLIPSE PUBLIC LICENSE-2.0", "EPL-2.0", false),
    ("ECLIPSE PUBLIC-1.0", "EPL-1.0", false),
    ("ECLIPSE PUBLIC-2.0", "EPL-2.0", false),
    ("ECLIPSE DISTRIBUTION LICENSE-1.0", "BSD-3-Clause", false),
    ("ECLIPSE DISTRIBUTION-1.0", "BSD-3-Clause", false),
    ("GNU LESSER GENERAL PUBLIC-2.1", "LGPL-2.1", false),
    ("GNU LESSER GENERAL PUBLIC-3.0", "LGPL-3.0", false),
    ("GNU LESSER GENERAL PUBLIC-3", "LGPL-3.0", false),
    ("GNU GENERAL PUBLIC-2.0", "GPL-2.0", false),
    ("GNU GENERAL PUBLIC-2", "GPL-2.0", false),
    ("GNU GENERAL PUBLIC-3.0", "GPL-3.0", false),
    ("GNU GENERAL PUBLIC-3", "GPL-3.0", false),
    ("MOZILLA PUBLIC-2.0", "MPL-2.0", false),
    ("MOZILLA PUBLIC-1.1", "MPL-1.1", false),
    ("COMMON DEVELOPMENT AND DISTRIBUTION-1.0", "CDDL-1.0", false),
    ("COMMON DEVELOPMENT AND DISTRIBUTION-1.1", "CDDL-1.1", false),
    ("BSD 2-CLAUSE", "BSD-2-Clause", false),
    ("BSD 3-CLAUSE", "BSD-3-Clause", false),
    ("REVISED BSD", "BSD-3-Clause", false),
    ("AGPL", "AGPL-3.0", false),
    ("APACHE", "Apache-2.0", false),
    ("APACHE-STYLE", "Apache-2.0", false),
    ("ASL", "Apache-2.0", false),
    ("AL-2", "Apache-2.0", false),
    ("APL-2", "Apache-2.0", false),
    ("ASF-2", "Apache-2.0", false),
    ("ASL-2", "Apache-2.0", false),
    ("ARTISTIC", "Artistic-2.0", false),
    ("BSD", "BSD-3-Clause", false),
    ("BSD-LIKE", "BSD-3-Clause", false),
    ("BSD-STYLE", "BSD-3-Clause", false),
    ("BSD STYLE", "BSD-3-Clause", false),
    ("BSD-VARIANT", "BSD-3-Clause", false),
    ("BSD-2", "BSD-2-Clause", false),
    ("BSD-3", "BSD-3-Clause", false),
    ("BSD-4", "BSD-4-Clause", false),
    ("NEW BSD", "BSD-3-Clause", false),
    ("MODIFIED BSD", "BSD-3-Clause", false),
    ("SIMPLIFIED BSD", "BSD-2-Clause", false),
    ("BOOST", "BSL-1.0", false),
    ("BSL", "BSL-1.0", false),
    ("CC0", "CC0-1.0", false),
    ("CDDL", "CDDL-1.0", false),
    ("CPL", "CPL-1.0", false),
    ("ECLIPSE", "EPL-1.0", false),
    ("EPL", "EPL-1.0", false),
    ("EUPL", "EUPL-1.0", false),
    ("EXPAT", "MIT", false),
    ("MIT-LIKE", "MIT", false),
    ("MIT-STYLE", "MIT", false),
    ("MIT/EXPAT", "MIT", false),
    ("FDL", "GFDL-1.3", true),
    ("GFDL", "GFDL-1.3", true),
    ("GFDL-NIV-1.3", "GFDL-1.3-no-invariants", false),
    ("GFDL-1.1-INVARIANTS", "GFDL-1.1-invariants", false),
    ("GFDL-1.2-INVARIANTS", "GFDL-1.2-invariants", false),
    ("GFDL-1.3-INVARIANTS", "GFDL-1.3-invariants", false),
    ("GPL", "GPL-2.0", true),
    ("GNU GPL", "GPL-2.0", false),
    ("GO", "BSD-3-Clause", false),
    ("GNU PUBLIC", "GPL-2.0", true),
    (
        "GPL-2+ WITH AUTOCONF EXCEPTION",
        "GPL-2.0-with-autoconf-exception",
        true,
    ),
    (
        "GPL-3+ WITH AUTOCONF EXCEPTION",
        "GPL-3.0-with-autoconf-exception",
        true,
    ),
    (
        "GPL-2+-WITH-BISON-EXCEPTION",
        "GPL-2.0-with-bison-exception",
        true,
    ),
    (
        "GPL-2.0-WITH-CLASSPATH-EXCEPTION",
        "GPL-2.0-with-classpath-exception",
        false,
    ),
    (
        "GPL-2.0-WITH-GCC-EXCEPTION",
        "GPL-2.0-with-GCC-exception",
        false,
    ),
    (
        "GPL-3.0-WITH-GCC-EXCEPTION",
        "GPL-3.0-with-GCC-exception",
        false,
    ),
    ("LGPL", "LGPL-2.0", true),
    ("GNU LGPL", "LGPL-2.1", false),
    ("GNU LESSER", "LGPL-2.1", false),
    ("ISCL", "ISC", false),
    ("JQUERY", "MIT", false),
    ("MPL", "MPL-2.0", false),
    ("NETSCAPE", "NPL-1.1", false),
    ("PYTHON", "Python-2.0", false),
    ("UNLICENSED", "Unlicense", false),
    ("W3CL", "W3C", false),
    ("WTF", "WTFPL", false),
    ("ZOPE", "ZPL-2.1", false),
    ("ZLIB/LIBPNG", "zlib-acknowledgement", false),
];

/// The GNU licences SPDX writes with an explicit `-only` or `-or-later`.
const GNU_FAMILY: &[&str] = &[
    "AGPL-1.0",
    "AGPL-3.0",
    "GFDL-1.1",
    "GFDL-1.1-invariants",
    "GFDL-1.1-no-invariants",
    "GFDL-1.2",
    "GFDL-1.2-invariants",
    "GFDL-1.2-no-invariants",
    "GFDL-1.3",
    "GFDL-1.3-invariants",
    "GFDL-1.3-no-invariants",
    "GPL-1.0",
    "GPL-2.0",
    "GPL-3.0",
    "LGPL-2.0",
    "LGPL-2.1",
    "LGPL-3.0",
];

/// A name and version run together or apart (`GPLv2`, `LGPL 2.1`, `MPL2.0`,
/// `Apache License, Version 2.0`) at the end of a key. `V` is left out of the name letters
/// so that the `V` of `GPLV2` is read as the version marker.
static VERSION_SUFFIX: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?P<name>[A-UW-Z)]{2,})(?: LICENSE)?\s*[,(-]?\s*(?:VERSION-?|V\.?|-)?\s*(?P<version>[1-9](?:\.\d)*)\)?$",
    )
    .expect("static regex")
});

/// Separators between the licences of one declaration: `or` / `and` (also `_or_`, as in
/// `LGPLv3+_or_GPLv2+`) and commas.
static LIST_SEPARATOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r",?[_ ]+(?:or|and)[_ ]+|,[ ]*").expect("static regex"));

/// Every SPDX licence id by its upper-case spelling.
static SPDX_IDS: LazyLock<HashMap<String, &'static str>> = LazyLock::new(|| {
    spdx::identifiers::LICENSES
        .iter()
        .map(|l| (l.name.to_ascii_uppercase(), l.name))
        .collect()
});

/// `name` as an SPDX id when it is recognised, otherwise unchanged.
pub fn normalize(name: &str) -> String {
    let (key, or_later) = standard_key(name);
    if key.starts_with("HTTP") {
        return name.to_owned();
    }
    let found = ALIASES
        .iter()
        .find(|(alias, _, _)| *alias == key)
        .map(|(_, id, plus)| (*id, *plus))
        .or_else(|| spdx_id(&key).map(|id| (id, false)));
    let Some((id, implied_or_later)) = found else {
        return name.to_owned();
    };
    let or_later = or_later || implied_or_later;
    if GNU_FAMILY.contains(&id) {
        format!("{id}-{}", if or_later { "or-later" } else { "only" })
    } else if or_later {
        format!("{id}+")
    } else {
        id.to_owned()
    }
}

/// Licence URLs (lower case, without scheme, `www.`, a trailing `/` or a `.txt`/`.html`/
/// `.php` suffix) that name exactly one licence. Java archives declare licences this way
/// (`<url>` in a pom, OSGi `Bundle-License`).
const URLS: &[(&str, &str)] = &[
    ("apache.org/licenses/license-2.0", "Apache-2.0"),
    ("opensource.org/licenses/apache-2.0", "Apache-2.0"),
    ("opensource.org/licenses/mit", "MIT"),
    ("opensource.org/licenses/mit-license", "MIT"),
    ("opensource.org/licenses/bsd-2-clause", "BSD-2-Clause"),
    ("opensource.org/licenses/bsd-3-clause", "BSD-3-Clause"),
    ("opensource.org/licenses/bsd-license", "BSD-2-Clause"),
    ("eclipse.org/legal/epl-v10", "EPL-1.0"),
    ("eclipse.org/legal/epl-2.0", "EPL-2.0"),
    ("eclipse.org/legal/epl-v20", "EPL-2.0"),
    ("eclipse.org/org/documents/edl-v10", "BSD-3-Clause"),
    ("gnu.org/licenses/gpl-2.0", "GPL-2.0-only"),
    ("gnu.org/licenses/gpl-3.0", "GPL-3.0-only"),
    ("gnu.org/licenses/lgpl-2.1", "LGPL-2.1-only"),
    ("gnu.org/licenses/lgpl-3.0", "LGPL-3.0-only"),
    ("gnu.org/licenses/old-licenses/gpl-2.0", "GPL-2.0-only"),
    ("gnu.org/licenses/old-licenses/lgpl-2.1", "LGPL-2.1-only"),
    ("mozilla.org/mpl/2.0", "MPL-2.0"),
    ("mozilla.org/mpl/mpl-1.1", "MPL-1.1"),
    ("opensource.org/licenses/cddl-1.0", "CDDL-1.0"),
    ("creativecommons.org/publicdomain/zero/1.0", "CC0-1.0"),
];

/// A declared licence (a name, an SPDX id or a URL, as Java archives and other manifests
/// state them) as an SPDX id where it names exactly one licence, otherwise as given. Unlike
/// [`normalize`], bare `BSD` names are kept: which BSD licence they mean is unknown.
pub fn normalize_declared(text: &str) -> String {
    let text = text.trim();
    if text.contains("://") {
        return spdx_id_for_url(text).map_or_else(|| text.to_owned(), str::to_owned);
    }
    let bare_bsd = ["BSD", "BSD-LIKE", "BSD-STYLE", "BSD STYLE", "BSD-VARIANT"];
    if bare_bsd.contains(&standard_key(text).0.as_str()) {
        return text.to_owned();
    }
    // `The MIT License (MIT)`: a name followed by the id it stands for.
    if let Some((name, id)) = text
        .strip_suffix(')')
        .and_then(|t| t.rsplit_once('('))
        .filter(|(name, _)| !name.trim().is_empty())
    {
        let id = normalize(id.trim());
        if spdx_id(&id.to_ascii_uppercase()).is_some() && normalize(name.trim()) == id {
            return id;
        }
    }
    normalize(text)
}

/// The SPDX id a well-known licence URL names: one of [`URLS`], or an SPDX or OSI page
/// whose last component is an SPDX id.
fn spdx_id_for_url(url: &str) -> Option<&'static str> {
    let lower = url.trim().to_ascii_lowercase();
    let mut key = lower
        .split_once("://")
        .map_or(lower.as_str(), |(_, rest)| rest);
    key = key.strip_prefix("www.").unwrap_or(key);
    key = key.trim_end_matches('/');
    for suffix in [".txt", ".html", ".php", ".htm"] {
        key = key.strip_suffix(suffix).unwrap_or(key);
    }
    if let Some((_, id)) = URLS.iter().find(|(u, _)| *u == key) {
        return Some(id);
    }
    let (site, last) = key.rsplit_once('/')?;
    matches!(site, "spdx.org/licenses" | "opensource.org/licenses")
        .then(|| SPDX_IDS.get(&last.to_ascii_uppercase()).copied())
        .flatten()
}

/// An SPDX id matching `key` ignoring case, also with a missing `.0` (`MPL-1` -> `MPL-1.0`).
fn spdx_id(key: &str) -> Option<&'static str> {
    SPDX_IDS.get(key).copied().or_else(|| {
        key.ends_with(|c: char| c.is_ascii_digit())
            .then(|| SPDX_IDS.get(&format!("{key}.0")).copied())
            .flatten()
    })
}

/// The standardised lookup key of `name` and whether it said `or later`.
fn standard_key(name: &str) -> (String, bool) {
    let mut key = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase();
    if key.starts_with("HTTP") {
        return (key, false);
    }
    key = key.replace("LICENCE", "LICENSE");
    if let Some(rest) = key.strip_prefix("THE ") {
        key = rest.to_owned();
    }
    for suffix in [" LICENSE", " LICENSED", "-LICENSE", "-LICENSED"] {
        if let Some(rest) = key.strip_suffix(suffix) {
            key.truncate(rest.len());
        }
    }
    if key != "UNLICENSE" && key != "UNLICENSED" {
        for suffix in ["LICENSE", "LICENSED"] {
            if let Some(rest) = key.strip_suffix(suffix) {
                key.truncate(rest.len());
            }
        }
    }
    let mut or_later = false;
    for suffix in ["+", "-OR-LATER", " OR LATER"] {
        if let Some(rest) = key.strip_suffix(suffix) {
            key.truncate(rest.len());
            or_later = true;
        }
    }
    for suffix in ["-ONLY", " ONLY"] {
        if let Some(rest) = key.strip_suffix(suffix) {
            key.truncate(rest.len());
        }
    }
    let key = VERSION_SUFFIX
        .replace(&key, "${name}-${version}")
        .into_owned();
    (key, or_later)
}

/// The licences of one declaration such as `GPL-1+ or Artistic, and BSD-4-clause-POWERDOG`,
/// each as written; choice (`or`) and conjunction (`and`) are not kept, as Trivy does.
/// `Apache License, Version 2.0` stays one licence.
pub fn split_declaration(declaration: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in LIST_SEPARATOR.split(declaration) {
        let part = part.trim();
        let first_word = part
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        match out.last_mut() {
            Some(previous) if first_word == "version" || first_word == "ver" => {
                previous.push_str(", ");
                previous.push_str(part);
            }
            // `GPL v2 or later`.
            Some(previous) if first_word == "later" => {
                previous.push_str(" or ");
                previous.push_str(part);
            }
            _ if part.is_empty() => {}
            _ => out.push(part.to_owned()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_short_names_become_spdx_ids() {
        let cases = [
            ("GPL-2", "GPL-2.0-only"),
            ("GPL-2+", "GPL-2.0-or-later"),
            ("GPLv2+", "GPL-2.0-or-later"),
            ("GPL-1+", "GPL-1.0-or-later"),
            ("GPL-3.0+", "GPL-3.0-or-later"),
            ("GPL-2.0-only", "GPL-2.0-only"),
            ("GPL", "GPL-2.0-or-later"),
            ("LGPL-2.1+", "LGPL-2.1-or-later"),
            ("LGPLv2.1+", "LGPL-2.1-or-later"),
            ("LGPL 2.1", "LGPL-2.1-only"),
            ("LGPL", "LGPL-2.0-or-later"),
            ("GFDL-NIV-1.3", "GFDL-1.3-no-invariants-only"),
            ("Artistic", "Artistic-2.0"),
            ("Expat", "MIT"),
            ("BSD-3-clause", "BSD-3-Clause"),
            ("BSD-2", "BSD-2-Clause"),
            ("Zlib", "Zlib"),
            ("ZLIB", "Zlib"),
            ("Apache-2", "Apache-2.0"),
            ("Apache License, Version 2.0", "Apache-2.0"),
            ("MPL-1.1", "MPL-1.1"),
            ("MPL-1.1+", "MPL-1.1+"),
            ("The MIT License", "MIT"),
            ("isc", "ISC"),
            ("curl", "curl"),
            (
                "GPL-3+ with autoconf exception",
                "GPL-3.0-with-autoconf-exception+",
            ),
            (
                "GPL-2+ with Libtool exception",
                "GPL-2+ with Libtool exception",
            ),
            ("BSL-1", "BSL-1.0"),
            ("Artistic-2", "Artistic-2.0"),
            ("GNU Lesser", "LGPL-2.1-only"),
        ];
        for (name, want) in cases {
            assert_eq!(normalize(name), want, "{name}");
        }
    }

    #[test]
    fn unknown_names_are_kept_as_written() {
        for name in [
            "BSD-4-clause-POWERDOG",
            "public-domain",
            "permissive",
            "Perl",
            "http://example.invalid/LICENSE",
            "",
        ] {
            assert_eq!(normalize(name), name);
        }
    }

    #[test]
    fn declared_names_and_urls_of_java_archives() {
        let cases = [
            ("Apache License, Version 2.0", "Apache-2.0"),
            ("The Apache Software License, Version 2.0", "Apache-2.0"),
            ("Apache 2.0", "Apache-2.0"),
            ("ASL 2.0", "Apache-2.0"),
            ("https://www.apache.org/licenses/LICENSE-2.0", "Apache-2.0"),
            (
                "http://www.apache.org/licenses/LICENSE-2.0.txt",
                "Apache-2.0",
            ),
            ("MIT License", "MIT"),
            ("The MIT License (MIT)", "MIT"),
            ("GPL (with exceptions)", "GPL (with exceptions)"),
            ("https://opensource.org/licenses/MIT", "MIT"),
            ("Eclipse Public License - v 1.0", "EPL-1.0"),
            ("Eclipse Public License v2.0", "EPL-2.0"),
            ("https://www.eclipse.org/legal/epl-v10.html", "EPL-1.0"),
            ("Eclipse Distribution License - v 1.0", "BSD-3-Clause"),
            (
                "GNU Lesser General Public License, version 2.1",
                "LGPL-2.1-only",
            ),
            (
                "GNU General Public License v2.0 or later",
                "GPL-2.0-or-later",
            ),
            ("BSD 3-Clause License", "BSD-3-Clause"),
            ("New BSD License", "BSD-3-Clause"),
            ("The BSD License", "The BSD License"),
            ("BSD", "BSD"),
            ("BSD-style", "BSD-style"),
            (
                "CDDL + GPLv2 with classpath exception",
                "CDDL + GPLv2 with classpath exception",
            ),
            ("https://spdx.org/licenses/Zlib.html", "Zlib"),
            (
                "https://example.invalid/LICENSE",
                "https://example.invalid/LICENSE",
            ),
            ("  Public Domain ", "Public Domain"),
        ];
        for (text, want) in cases {
            assert_eq!(normalize_declared(text), want, "{text}");
        }
    }

    #[test]
    fn declarations_split_on_or_and_commas() {
        let cases: [(&str, &[&str]); 7] = [
            ("GPL-1+,GPL-2", &["GPL-1+", "GPL-2"]),
            (
                "GPL-1+ or Artistic or Artistic-dist",
                &["GPL-1+", "Artistic", "Artistic-dist"],
            ),
            ("LGPLv3+_or_GPLv2+", &["LGPLv3+", "GPLv2+"]),
            ("BSD-3-CLAUSE and GPL-2", &["BSD-3-CLAUSE", "GPL-2"]),
            (
                "GPL-1+ or Artistic, and BSD-4-clause-POWERDOG",
                &["GPL-1+", "Artistic", "BSD-4-clause-POWERDOG"],
            ),
            (
                "BSD 3-Clause License or Apache License, Version 2.0",
                &["BSD 3-Clause License", "Apache License, Version 2.0"],
            ),
            ("Zlib,", &["Zlib"]),
        ];
        for (declaration, want) in cases {
            assert_eq!(split_declaration(declaration), want, "{declaration}");
        }
    }
}
