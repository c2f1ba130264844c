//! The feed cache on disk: where each feed's file lives, the validators index that makes
//! the next fetch conditional, and the paths handed to the database builder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use url::Url;

use crate::sources::{AlpineBranch, Ecosystem, Sources};

/// Where the validators index lives inside the cache.
const INDEX_FILE: &str = "validators.json";

/// The paths of one cache directory (see the crate documentation for the layout).
#[derive(Debug, Clone)]
pub struct FeedCache {
    root: PathBuf,
}

impl FeedCache {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        FeedCache { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn osv_ecosystem_list(&self) -> PathBuf {
        self.root.join("osv/ecosystems.txt")
    }

    pub fn osv_zip(&self, ecosystem: &Ecosystem) -> PathBuf {
        self.root
            .join("osv")
            .join(ecosystem.as_str())
            .join("all.zip")
    }

    pub fn debian_tracker(&self) -> PathBuf {
        self.root.join("debian/tracker.json")
    }

    /// `repo` is `main` or `community`.
    pub fn alpine_secdb(&self, branch: &AlpineBranch, repo: &str) -> PathBuf {
        self.root
            .join("alpine")
            .join(branch.as_str())
            .join(format!("{repo}.json"))
    }

    pub fn nvd_cves(&self) -> PathBuf {
        self.root.join("nvd/cves.jsonl")
    }

    pub fn epss_scores(&self) -> PathBuf {
        self.root.join("epss/epss_scores.csv.gz")
    }

    pub fn kev_catalog(&self) -> PathBuf {
        self.root.join("kev/known_exploited_vulnerabilities.json")
    }

    fn index_path(&self) -> PathBuf {
        self.root.join(INDEX_FILE)
    }

    /// The cached files `kabuto_vulndb::build::build` reads for the feeds `sources` names
    /// (OSV zips, the Debian tracker, Alpine secdb), in a stable order. Files never fetched
    /// are left out; a feed whose last fetch failed contributes its previous good copy.
    pub fn build_inputs(&self, sources: &Sources) -> Vec<PathBuf> {
        let mut inputs = Vec::new();
        if let Some(osv) = &sources.osv {
            inputs.extend(self.cached_osv_zips(osv.ecosystems.as_deref()));
        }
        if sources.debian.is_some() {
            inputs.push(self.debian_tracker());
        }
        if let Some(alpine) = &sources.alpine {
            for branch in &alpine.branches {
                for repo in ["main", "community"] {
                    inputs.push(self.alpine_secdb(branch, repo));
                }
            }
        }
        if sources.nvd.is_some() {
            inputs.push(self.nvd_cves());
        }
        if sources.epss.is_some() {
            inputs.push(self.epss_scores());
        }
        if sources.kev.is_some() {
            inputs.push(self.kev_catalog());
        }
        inputs.retain(|p| p.is_file());
        inputs
    }

    /// `osv/<ecosystem>/all.zip` for the listed ecosystems, or every cached one.
    fn cached_osv_zips(&self, only: Option<&[Ecosystem]>) -> Vec<PathBuf> {
        if let Some(list) = only {
            return list.iter().map(|e| self.osv_zip(e)).collect();
        }
        let Ok(entries) = std::fs::read_dir(self.root.join("osv")) else {
            return Vec::new();
        };
        let mut zips: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path().join("all.zip"))
            .collect();
        zips.sort();
        zips
    }
}

/// The validators a server gave for a URL, sent back to make the next request conditional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Validators {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
}

impl Validators {
    pub fn from_response(response: &ureq::Response) -> Self {
        let header = |name| response.header(name).map(str::to_owned);
        Validators {
            etag: header("etag"),
            last_modified: header("last-modified"),
        }
    }

    pub fn request_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = Vec::new();
        if let Some(etag) = &self.etag {
            headers.push(("If-None-Match", etag.clone()));
        }
        if let Some(date) = &self.last_modified {
            headers.push(("If-Modified-Since", date.clone()));
        }
        headers
    }

    fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// `validators.json`: URL -> validators. A missing or unreadable index only costs full
/// downloads, so it is never an error to read; writing it is.
#[derive(Debug, Default)]
pub(crate) struct ValidatorIndex {
    path: PathBuf,
    entries: BTreeMap<String, Validators>,
}

impl ValidatorIndex {
    pub fn load(cache: &FeedCache) -> Self {
        let path = cache.index_path();
        let entries = std::fs::read(&path)
            .ok()
            .and_then(|bytes| match serde_json::from_slice(&bytes) {
                Ok(entries) => Some(entries),
                Err(e) => {
                    tracing::warn!(
                        "{}: ignored ({e}); every feed is downloaded again",
                        path.display()
                    );
                    None
                }
            })
            .unwrap_or_default();
        ValidatorIndex { path, entries }
    }

    pub fn get(&self, url: &Url) -> Option<&Validators> {
        self.entries.get(url.as_str()).filter(|v| !v.is_empty())
    }

    pub fn set(&mut self, url: &Url, validators: Validators) {
        self.entries.insert(url.to_string(), validators);
    }

    /// Writes the index atomically (temp file + rename).
    pub fn save(&self) -> std::io::Result<()> {
        let dir = self.path.parent().unwrap_or(Path::new("."));
        let mut temp = tempfile::NamedTempFile::new_in(dir)?;
        serde_json::to_writer_pretty(temp.as_file_mut(), &self.entries)?;
        temp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}
