//! Licences a Java archive declares about itself:
//!
//! - the embedded `META-INF/maven/<group>/<artifact>/pom.xml`, `<licenses><license><name>`
//!   (or, without a name, a `<url>` naming a well-known licence);
//! - `META-INF/MANIFEST.MF`: Jenkins' `Plugin-License-Name[-N]` headers, else OSGi's
//!   `Bundle-License` (a comma list of `id-or-url;link="..."` entries).
//!
//! Each licence is normalised with [`crate::license::normalize_declared`]: SPDX ids where
//! the name or URL is unambiguous, the text as given otherwise.

use quick_xml::events::Event;

use crate::license::normalize_declared;

/// Licences one pom may declare before the rest are ignored; real poms list one to three.
const MAX_LICENSES: usize = 32;
/// Longest licence name or URL kept, in bytes; longer text is not a name.
const MAX_FIELD: usize = 1024;
/// Element nesting followed; a pom's licence names sit at depth 4.
const MAX_DEPTH: usize = 256;

/// `group:artifact` of an embedded Maven descriptor path
/// (`META-INF/maven/<group>/<artifact>/pom.xml`).
pub(crate) fn embedded_pom_name(member: &str) -> Option<String> {
    let rest = member
        .strip_prefix("META-INF/maven/")?
        .strip_suffix("/pom.xml")?;
    let (group, artifact) = rest.split_once('/')?;
    (!group.is_empty() && !artifact.is_empty() && !artifact.contains('/'))
        .then(|| format!("{group}:{artifact}"))
}

/// The licences of a `pom.xml` (`project/licenses/license`), normalised, without repeats.
/// Only the project's own licences count: `<licenses>` of a `<dependency>` or `<profile>`
/// sit deeper and are ignored. DTDs and entities other than XML's five and character
/// references are not expanded.
pub fn pom_licenses(xml: &str) -> Result<Vec<String>, String> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut path: Vec<String> = Vec::new();
    let mut licenses = Vec::new();
    let (mut name, mut url) = (String::new(), String::new());
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("pom.xml near byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(start) => {
                if path.len() >= MAX_DEPTH {
                    return Err(format!("pom.xml nests deeper than {MAX_DEPTH} elements"));
                }
                let local = start.local_name().as_ref().to_owned();
                if is_license_path(&path) && local == "license" {
                    name.clear();
                    url.clear();
                }
                path.push(local);
            }
            Event::End(_) => {
                let closed = path.pop();
                if closed.as_deref() == Some("license") && is_license_path(&path) {
                    let declared = if name.trim().is_empty() {
                        url.trim()
                    } else {
                        name.trim()
                    };
                    if !declared.is_empty() && licenses.len() < MAX_LICENSES {
                        push_unique(&mut licenses, normalize_declared(declared));
                    }
                }
            }
            Event::Text(text) => append_field(&path, &mut name, &mut url, &text.xml10_content()),
            Event::CData(data) => {
                append_field(&path, &mut name, &mut url, &data);
            }
            Event::GeneralRef(reference) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    Ok(None) => predefined_entity(&reference),
                    Err(_) => None,
                };
                if let Some(c) = resolved {
                    append_field(&path, &mut name, &mut url, c.encode_utf8(&mut [0; 4]));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(licenses)
}

/// Whether `path` (the open elements) is `project/licenses`, where `<license>` starts.
fn is_license_path(path: &[String]) -> bool {
    matches!(path, [project, licenses] if project == "project" && licenses == "licenses")
}

/// Adds text to the `<name>` or `<url>` being read, if the reader is inside one.
fn append_field(path: &[String], name: &mut String, url: &mut String, text: &str) {
    let field = match path {
        [project, licenses, license, field]
            if project == "project" && licenses == "licenses" && license == "license" =>
        {
            field.as_str()
        }
        _ => return,
    };
    let target = match field {
        "name" => name,
        "url" => url,
        _ => return,
    };
    if target.len() + text.len() <= MAX_FIELD {
        target.push_str(text);
    }
}

fn predefined_entity(name: &str) -> Option<char> {
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        _ => return None,
    })
}

/// The licences the main section of a manifest declares (its headers as parsed, continuation
/// lines joined): every `Plugin-License-Name` / `Plugin-License-Name-N`, else the entries
/// of `Bundle-License`.
pub(crate) fn manifest_licenses(headers: &[(String, String)]) -> Vec<String> {
    let mut licenses = Vec::new();
    for (key, value) in headers {
        let is_plugin = key == "Plugin-License-Name"
            || key
                .strip_prefix("Plugin-License-Name-")
                .is_some_and(|n| !n.is_empty());
        if is_plugin && !value.trim().is_empty() {
            push_unique(&mut licenses, normalize_declared(value.trim()));
        }
    }
    if !licenses.is_empty() {
        return licenses;
    }
    let Some((_, bundle)) = headers.iter().find(|(key, _)| key == "Bundle-License") else {
        return licenses;
    };
    for entry in split_unquoted(bundle, ',') {
        let mut parts = split_unquoted(entry, ';').into_iter();
        let id = unquote(parts.next().unwrap_or_default());
        // OSGi's placeholder for "the licence is stated elsewhere".
        if id.is_empty() || id == "<<EXTERNAL>>" || id.starts_with('%') {
            continue;
        }
        push_unique(&mut licenses, normalize_declared(id));
        if licenses.len() >= MAX_LICENSES {
            break;
        }
    }
    licenses
}

/// Splits on `separator` outside double-quoted values (`description="A, B"` is one
/// attribute); a backslash escapes the next character inside quotes.
fn split_unquoted(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut quoted, mut escaped, mut start) = (false, false, 0);
    for (at, c) in text.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == separator && !quoted {
            parts.push(&text[start..at]);
            start = at + c.len_utf8();
        }
    }
    parts.push(&text[start..]);
    parts
}

fn unquote(text: &str) -> &str {
    text.trim().trim_matches('"').trim()
}

fn push_unique(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn embedded_pom_paths_name_group_and_artifact() {
        assert_eq!(
            embedded_pom_name("META-INF/maven/org.slf4j/slf4j-api/pom.xml").as_deref(),
            Some("org.slf4j:slf4j-api")
        );
        for other in [
            "META-INF/maven/org.slf4j/pom.xml",
            "META-INF/maven/g/a/b/pom.xml",
            "pom.xml",
            "META-INF/maven//a/pom.xml",
        ] {
            assert_eq!(embedded_pom_name(other), None, "{other}");
        }
    }

    #[test]
    fn pom_project_licences_only_with_entities_and_cdata() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE project [<!ENTITY boom "Apache-2.0">]>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <licenses>
    <license><name>The Apache Software License, Version 2.0</name>
      <url>https://www.apache.org/licenses/LICENSE-2.0.txt</url></license>
    <license><name><![CDATA[Eclipse Public License - v 1.0]]></name></license>
    <license><url>https://opensource.org/licenses/MIT</url></license>
    <license><name>Foo &amp; Bar &#x41;&boom;</name></license>
    <license><name>MIT License</name></license>
  </licenses>
  <dependencies><dependency><licenses><license><name>GPL</name></license></licenses></dependency></dependencies>
</project>"#;
        assert_eq!(
            pom_licenses(xml).unwrap(),
            ["Apache-2.0", "EPL-1.0", "MIT", "Foo & Bar A"]
        );
    }

    #[test]
    fn broken_poms_are_errors_and_empty_ones_have_no_licences() {
        assert!(pom_licenses("<project><licenses><license><name>x</nam></license>").is_err());
        assert_eq!(pom_licenses("").unwrap(), Vec::<String>::new());
        assert_eq!(
            pom_licenses("<project><licenses/></project>").unwrap(),
            Vec::<String>::new()
        );
        let deep = "<a>".repeat(MAX_DEPTH + 1);
        assert!(pom_licenses(&deep).unwrap_err().contains("deeper"));
    }

    #[test]
    fn jenkins_plugin_licences_win_over_bundle_license() {
        let h = headers(&[
            ("Plugin-License-Name", "Apache License, Version 2.0"),
            (
                "Plugin-License-Url",
                "https://www.apache.org/licenses/LICENSE-2.0",
            ),
            ("Plugin-License-Name-2", "MIT License"),
            ("Bundle-License", "EPL-2.0"),
        ]);
        assert_eq!(manifest_licenses(&h), ["Apache-2.0", "MIT"]);
    }

    #[test]
    fn bundle_license_entries_ids_urls_and_attributes() {
        let h = headers(&[(
            "Bundle-License",
            r#"Apache-2.0;link="https://www.apache.org/licenses/LICENSE-2.0";description="Apache License, Version 2.0", https://www.eclipse.org/legal/epl-2.0/, <<EXTERNAL>>, "Custom, Inc. licence""#,
        )]);
        assert_eq!(
            manifest_licenses(&h),
            ["Apache-2.0", "EPL-2.0", "Custom, Inc. licence"]
        );
        assert!(manifest_licenses(&headers(&[("Bundle-License", "")])).is_empty());
        assert!(manifest_licenses(&headers(&[("Bundle-Name", "x")])).is_empty());
    }
}
