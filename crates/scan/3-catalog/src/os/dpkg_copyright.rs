//! Licences of Debian packages from `usr/share/doc/<package>/copyright`.
//!
//! dpkg's status file names no licences; each package ships a copyright file instead. Two
//! shapes occur, and the same line rules read both, as Trivy's do:
//! - machine-readable (DEP-5): `License: GPL-2+ or Artistic` fields that open a line;
//! - free text that points at the licence texts dpkg ships, as in "can be found in
//!   `/usr/share/common-licenses/GPL-2'".
//!
//! Names are rewritten to SPDX ids by [`crate::license::normalize`]. Licence prose wrongly
//! placed on the `License:` line ("License: Permission to use, copy, ...") is skipped
//! rather than split into nonsense names.

use std::sync::LazyLock;

use kabuto_types::Ecosystem;
use regex::Regex;

use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::license::{normalize, split_declaration};
use crate::{AnalysisOutput, AnalyzeError, Evidence, FileInput, PackageLicenses};

const DOC_DIR: &str = "usr/share/doc/";
const COPYRIGHT: &str = "/copyright";
const COMMON_LICENSES: &str = "/usr/share/common-licenses/";

/// The licence file name after `usr/share/common-licenses/`, without trailing punctuation
/// (`GPL-2'`, `GPL-2.`).
static COMMON_LICENSE_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"usr/share/common-licenses/([0-9A-Za-z_.+-]*[0-9A-Za-z+])").expect("static regex")
});

/// Words that occur in licence prose and rarely in a licence name (`IBM-as-is` is a name).
const PROSE_MARKERS: &[&str] = &[
    "http://",
    "https://",
    "(c)",
    "as-is",
    ";",
    "hereby",
    "permission to use",
    "permission is",
    "use in source",
    "use, copy, modify",
    "using",
];

/// Fewest words (besides `and` / `or`) a `License:` value needs to be taken for prose.
const PROSE_MIN_WORDS: usize = 4;

pub struct DpkgCopyrightAnalyzer;

impl FileAnalyzer for DpkgCopyrightAnalyzer {
    const SPEC: Spec = Spec {
        name: "dpkg-copyright",
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::Matching(|path, _| package_of(path).is_some()),
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let package_name = package_of(file.path).ok_or_else(|| {
            AnalyzeError::malformed(format!(
                "{} is not usr/share/doc/<package>/copyright",
                file.path
            ))
        })?;
        let licenses = parse_copyright(file.content);
        let package_licenses = if licenses.is_empty() {
            Vec::new()
        } else {
            vec![PackageLicenses {
                ecosystem: Ecosystem::Deb,
                package_name: package_name.to_owned(),
                licenses,
            }]
        };
        Ok(AnalysisOutput {
            package_licenses,
            ..AnalysisOutput::default()
        })
    }
}

/// `<package>` of `usr/share/doc/<package>/copyright`; copyright files deeper down
/// (`usr/share/doc/<package>/examples/debian/copyright`) belong to no package.
fn package_of(path: &str) -> Option<&str> {
    path.strip_prefix(DOC_DIR)?
        .strip_suffix(COPYRIGHT)
        .filter(|name| !name.is_empty() && !name.contains('/'))
}

/// The licences a copyright file declares, normalised, in order of first mention, without
/// repeats. Never fails: a file that names no licence yields nothing.
pub fn parse_copyright(content: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(content);
    let mut licenses: Vec<String> = Vec::new();
    let mut add = |name: String| {
        if !name.is_empty() && !licenses.contains(&name) {
            licenses.push(name);
        }
    };
    for line in text.lines() {
        if let Some(declaration) = license_field(line) {
            for name in split_declaration(declaration) {
                add(normalize(&name));
            }
        } else if line.contains(COMMON_LICENSES)
            && let Some(name) = COMMON_LICENSE_REFERENCE
                .captures(line)
                .and_then(|c| c.get(1))
        {
            add(normalize(name.as_str()));
        }
    }
    licenses
}

/// The licence names of a `License:` field line, with a parenthesised remark, a leading
/// phrase ending in `licensed under` and a trailing ` license` taken off
/// (`MIT (see below)`, `The main library is licensed under GNU Lesser`,
/// `BSD-3-clause license`); `None` for other lines, empty fields and prose.
fn license_field(line: &str) -> Option<&str> {
    let (field, value) = line.split_once(':')?;
    if !field.eq_ignore_ascii_case("license") {
        return None;
    }
    let value = value.split('(').next().unwrap_or_default();
    let value = value
        .split_once(" licensed under ")
        .map_or(value, |(_, named)| named)
        .trim();
    let value = value.strip_suffix(" license").unwrap_or(value).trim();
    (!value.is_empty() && !is_prose(value)).then_some(value)
}

/// Whether a `License:` value is a sentence of licence text rather than names
/// (`Permission to use, copy, modify, ...`), which splitting would cut into nonsense.
fn is_prose(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let words = lower
        .split_whitespace()
        .filter(|w| *w != "and" && *w != "or")
        .count();
    words >= PROSE_MIN_WORDS && PROSE_MARKERS.iter().any(|m| lower.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Analyzer, FileMeta};

    /// A DEP-5 file shaped like Debian's zlib1g copyright, with the edge cases real files
    /// have: an `or`/`and` list, a trailing comma, a standalone licence paragraph.
    const MACHINE_READABLE: &str = "\
Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: zlib
Source: http://zlib.net/
Comment: Packaged for Debian.
 .
 License: not-a-field (continuation line)

Files: *
Copyright: 1995-2013 Jean-loup Gailly and Mark Adler
License: GPL-1+ or Artistic, and BSD-4-clause-POWERDOG

Files: contrib/minizip/*
Copyright: 1998-2010 Gilles Vollant
License: Zlib,

Files: debian/*
Copyright: 2000-2017 Mark Brown
License: Expat

License: Zlib
 This software is provided 'as-is', without any express or implied
 warranty.
";

    /// A pre-DEP-5 copyright file, shaped like adduser's.
    const FREE_TEXT: &str = "\
This package was first put together by Ian Murdock.

adduser is Copyright (C) 1997, 1998, 1999 Guy Maor <maor@example.invalid>.

    This program is free software; you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation; either version 2 of the License, or
    (at your option) any later version.

On Debian GNU/Linux systems, the complete text of the GNU General
Public License can be found in `/usr/share/common-licenses/GPL-2'.
The Lesser one is in /usr/share/common-licenses/LGPL-2.1.
";

    #[test]
    fn machine_readable_fields_are_split_and_normalised() {
        assert_eq!(
            parse_copyright(MACHINE_READABLE.as_bytes()),
            [
                "GPL-1.0-or-later",
                "Artistic-2.0",
                "BSD-4-clause-POWERDOG",
                "Zlib",
                "MIT"
            ]
        );
    }

    #[test]
    fn free_text_common_licenses_references_are_read() {
        assert_eq!(
            parse_copyright(FREE_TEXT.as_bytes()),
            ["GPL-2.0-only", "LGPL-2.1-only"]
        );
    }

    #[test]
    fn both_shapes_in_one_file_keep_first_mention_order() {
        let text = "Apt is copyright 1997 Jason Gunthorpe.\n\nLicense: GPLv2+\n\n\
                    See /usr/share/common-licenses/GPL-2, or\n";
        assert_eq!(
            parse_copyright(text.as_bytes()),
            ["GPL-2.0-or-later", "GPL-2.0-only"]
        );
    }

    #[test]
    fn prose_empty_fields_and_remarks() {
        let text = "\
License:
License: Permission to use, copy, modify, and distribute this software
License: Redistribution and use in source and binary forms, with or without
License: By obtaining, using, and/or copying this software and/or its
license:\tMIT (see below)
License: BSD-3-clause license
License: BSD-4-clause and IBM-as-is
License: The main library is licensed under GNU Lesser
Copyright: This database is in the public domain.
";
        assert_eq!(
            parse_copyright(text.as_bytes()),
            [
                "MIT",
                "BSD-3-Clause",
                "BSD-4-Clause",
                "IBM-as-is",
                "LGPL-2.1-only"
            ]
        );
        assert!(parse_copyright(b"Copyright: public domain\n").is_empty());
    }

    #[test]
    fn invalid_utf8_and_binary_do_not_panic() {
        let mut bytes = b"License: GPL-2\n".to_vec();
        bytes.extend([0xff, 0xfe, 0x00, b'\n']);
        bytes.extend(b"/usr/share/common-licenses/\n");
        assert_eq!(parse_copyright(&bytes), ["GPL-2.0-only"]);
    }

    #[test]
    fn wants_only_top_level_copyright_files() {
        let meta = FileMeta {
            size: 10,
            mode: 0o644,
        };
        let a = DpkgCopyrightAnalyzer;
        assert!(a.wants("usr/share/doc/zlib1g/copyright", &meta));
        assert!(!a.wants("usr/share/doc/zlib1g/changelog.gz", &meta));
        assert!(!a.wants("usr/share/doc/copyright", &meta));
        assert!(!a.wants(
            "usr/share/doc/ca-certificates/examples/debian/copyright",
            &meta
        ));
        assert!(!a.wants("usr/local/share/doc/x/copyright", &meta));
    }

    #[test]
    fn analyze_reports_licences_for_the_named_package() {
        let out = DpkgCopyrightAnalyzer
            .analyze(FileInput {
                path: "usr/share/doc/adduser/copyright",
                content: FREE_TEXT.as_bytes(),
            })
            .expect("analyzes");
        assert_eq!(
            out.package_licenses,
            [PackageLicenses {
                ecosystem: Ecosystem::Deb,
                package_name: "adduser".into(),
                licenses: vec!["GPL-2.0-only".into(), "LGPL-2.1-only".into()],
            }]
        );
        assert!(out.packages.is_empty());
        let none = DpkgCopyrightAnalyzer
            .analyze(FileInput {
                path: "usr/share/doc/tzdata/copyright",
                content: b"This database is in the public domain.\n",
            })
            .expect("analyzes");
        assert_eq!(none, AnalysisOutput::default());
    }
}
