use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Ecosystem;

/// A package URL (<https://github.com/package-url/purl-spec>), e.g.
/// `pkg:deb/debian/curl@7.88.1-10?arch=amd64&distro=debian-12`.
///
/// Stored as parts; [`fmt::Display`] renders the canonical, percent-encoded string.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(try_from = "String", into = "String")]
#[schemars(with = "String")]
pub struct Purl {
    ty: String,
    namespace: Option<String>,
    name: String,
    version: Option<String>,
    qualifiers: Qualifiers,
}

/// A purl's qualifiers (`arch=amd64`, `distro=debian-12`), sorted by key. A purl has a
/// handful; a sorted list of them costs a small fraction of a map's node, which matters
/// with a purl on every package and every finding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Qualifiers(Vec<(String, String)>);

impl Qualifiers {
    pub fn get(&self, key: &str) -> Option<&String> {
        self.position(key).ok().map(|i| &self.0[i].1)
    }
    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_ok()
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    /// (key, value) pairs in key order.
    pub fn iter(&self) -> QualifierIter<'_> {
        self.into_iter()
    }

    fn position(&self, key: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(key))
    }

    fn insert(&mut self, key: String, value: String) {
        match self.position(&key) {
            Ok(i) => self.0[i].1 = value,
            Err(i) => self.0.insert(i, (key, value)),
        }
    }
}

/// Iterator over [`Qualifiers`] as (key, value) pairs.
pub type QualifierIter<'a> = std::iter::Map<
    std::slice::Iter<'a, (String, String)>,
    fn(&'a (String, String)) -> (&'a String, &'a String),
>;

impl<'a> IntoIterator for &'a Qualifiers {
    type Item = (&'a String, &'a String);
    type IntoIter = QualifierIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PurlError {
    #[error("purl `{0}` does not start with `pkg:`")]
    MissingScheme(String),
    #[error("purl `{0}` has no type or no name")]
    MissingPart(String),
}

impl Purl {
    pub fn new(ty: &str, namespace: Option<&str>, name: &str, version: Option<&str>) -> Self {
        Purl {
            ty: ty.to_ascii_lowercase(),
            namespace: namespace.filter(|n| !n.is_empty()).map(str::to_owned),
            name: name.to_owned(),
            version: version.filter(|v| !v.is_empty()).map(str::to_owned),
            qualifiers: Qualifiers::default(),
        }
    }

    /// The conventional purl for a package of `ecosystem`, splitting namespaces the way
    /// each purl type defines them (npm scopes, Maven group ids, Go module paths, Composer
    /// vendors) and normalising PyPI names. OS packages get their distro namespace and
    /// qualifiers later, from [`Purl::with_namespace`] and [`Purl::with_qualifier`].
    pub fn for_package(ecosystem: Ecosystem, name: &str, version: &str) -> Self {
        let ty = ecosystem.purl_type();
        let version = Some(version);
        match ecosystem {
            Ecosystem::Npm | Ecosystem::Go | Ecosystem::Composer => match name.rsplit_once('/') {
                Some((ns, n)) => Purl::new(ty, Some(ns), n, version),
                None => Purl::new(ty, None, name, version),
            },
            Ecosystem::Maven => match name.split_once(':') {
                Some((group, artifact)) => Purl::new(ty, Some(group), artifact, version),
                None => Purl::new(ty, None, name, version),
            },
            Ecosystem::PyPi => Purl::new(ty, None, &pep503_normalize(name), version),
            _ => Purl::new(ty, None, name, version),
        }
    }

    pub fn with_namespace(mut self, namespace: &str) -> Self {
        self.namespace = Some(namespace.to_owned()).filter(|n| !n.is_empty());
        self
    }

    pub fn with_qualifier(mut self, key: &str, value: &str) -> Self {
        if !value.is_empty() {
            self.qualifiers
                .insert(key.to_ascii_lowercase(), value.to_owned());
        }
        self
    }

    pub fn ty(&self) -> &str {
        &self.ty
    }
    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn version(&self) -> Option<&str> {
        self.version.as_deref()
    }
    pub fn qualifiers(&self) -> &Qualifiers {
        &self.qualifiers
    }
}

/// PEP 503 name normalisation: lowercase, every run of `-`, `_` and `.` becomes one `-`.
pub fn pep503_normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_separator_run = false;
    for c in name.chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_separator_run {
                out.push('-');
            }
            in_separator_run = true;
        } else {
            out.push(c.to_ascii_lowercase());
            in_separator_run = false;
        }
    }
    out
}

/// Percent-encodes every byte outside RFC 3986's unreserved set (letters, digits, `-._~`)
/// and `extra`: purl components, and URL path segments (the console's links).
pub fn percent_encode(s: &str, extra: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || extra.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl fmt::Display for Purl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pkg:{}/", self.ty)?;
        if let Some(ns) = &self.namespace {
            let segments: Vec<String> = ns.split('/').map(|s| percent_encode(s, b"")).collect();
            write!(f, "{}/", segments.join("/"))?;
        }
        f.write_str(&percent_encode(&self.name, b""))?;
        if let Some(v) = &self.version {
            write!(f, "@{}", percent_encode(v, b":"))?;
        }
        let mut sep = '?';
        for (k, v) in &self.qualifiers {
            write!(f, "{sep}{k}={}", percent_encode(v, b":/"))?;
            sep = '&';
        }
        Ok(())
    }
}

impl FromStr for Purl {
    type Err = PurlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let rest = s
            .strip_prefix("pkg:")
            .ok_or_else(|| PurlError::MissingScheme(s.to_owned()))?;
        let rest = rest.split('#').next().unwrap_or_default();
        let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (path, version) = match path.rsplit_once('@') {
            Some((p, v)) => (p, Some(decode(v))),
            None => (path, None),
        };
        let mut parts = path.trim_matches('/').split('/');
        let ty = parts.next().filter(|t| !t.is_empty());
        let segments: Vec<String> = parts.map(decode).collect();
        let (Some(ty), Some((name, ns))) = (ty, segments.split_last()) else {
            return Err(PurlError::MissingPart(s.to_owned()));
        };
        if name.is_empty() {
            return Err(PurlError::MissingPart(s.to_owned()));
        }
        let mut purl = Purl::new(ty, Some(&ns.join("/")), name, version.as_deref());
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            if let Some((k, v)) = pair.split_once('=') {
                purl = purl.with_qualifier(k, &decode(v));
            }
        }
        Ok(purl)
    }
}

impl TryFrom<String> for Purl {
    type Error = PurlError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<Purl> for String {
    fn from(p: Purl) -> Self {
        p.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_per_ecosystem_conventions() {
        let cases = [
            (
                Ecosystem::Npm,
                "@babel/core",
                "7.0.0",
                "pkg:npm/%40babel/core@7.0.0",
            ),
            (
                Ecosystem::PyPi,
                "Django_Rest.framework",
                "1.0",
                "pkg:pypi/django-rest-framework@1.0",
            ),
            (
                Ecosystem::Maven,
                "org.apache:commons-io",
                "2.4",
                "pkg:maven/org.apache/commons-io@2.4",
            ),
            (
                Ecosystem::Go,
                "github.com/a/b",
                "v1.2.3",
                "pkg:golang/github.com/a/b@v1.2.3",
            ),
            (Ecosystem::Cargo, "serde", "1.0.0", "pkg:cargo/serde@1.0.0"),
            (
                Ecosystem::PyPi,
                "dots-._Allowed",
                "1",
                "pkg:pypi/dots-allowed@1",
            ),
        ];
        for (eco, name, version, want) in cases {
            assert_eq!(Purl::for_package(eco, name, version).to_string(), want);
        }
    }

    #[test]
    fn os_package_with_qualifiers_round_trips() {
        let p = Purl::for_package(Ecosystem::Deb, "libc6", "2.36-9+deb12u4")
            .with_namespace("debian")
            .with_qualifier("arch", "amd64")
            .with_qualifier("distro", "debian-12");
        let s = p.to_string();
        assert_eq!(
            s,
            "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
        );
        assert_eq!(s.parse::<Purl>().unwrap(), p);
        let rpm = Purl::for_package(Ecosystem::Rpm, "openssl-libs", "1:3.0.7-1.el9");
        assert_eq!(rpm.to_string(), "pkg:rpm/openssl-libs@1:3.0.7-1.el9");
    }

    #[test]
    fn qualifiers_are_kept_sorted_by_key_and_replaced() {
        let p = Purl::new("deb", Some("debian"), "a", Some("1"))
            .with_qualifier("distro", "debian-11")
            .with_qualifier("Arch", "amd64")
            .with_qualifier("distro", "debian-12");
        assert_eq!(
            p.to_string(),
            "pkg:deb/debian/a@1?arch=amd64&distro=debian-12"
        );
        let q = p.qualifiers();
        assert_eq!(
            (q.len(), q.get("arch").map(String::as_str)),
            (2, Some("amd64"))
        );
        assert!(q.contains_key("distro") && !q.contains_key("epoch"));
        let keys: Vec<&String> = q.iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["arch", "distro"]);
    }

    #[test]
    fn rejects_malformed() {
        assert!("npm/x@1".parse::<Purl>().is_err());
        assert!("pkg:".parse::<Purl>().is_err());
        assert!("pkg:npm/".parse::<Purl>().is_err());
    }
}
