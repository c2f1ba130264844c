//! Downloads the advisory feeds into a local feed cache that `kabuto_vulndb::build` reads.
//!
//! The feeds and their locations come from a [`Sources`] file (built-in defaults:
//! [`Sources::defaults`]). [`fetch`] downloads each one with conditional requests, retries and
//! per-request timeouts, and returns a [`FetchReport`] with one [`FeedOutcome`] per file: a
//! feed that fails is reported with its name, URL and cause, and the others are kept.
//! [`FeedCache::build_inputs`] then lists the files to hand to the database builder.
//!
//! # Cache layout
//!
//! ```text
//! CACHE/validators.json                          ETag / Last-Modified per URL (conditional requests)
//! CACHE/osv/ecosystems.txt                       OSV's list of ecosystems
//! CACHE/osv/<Ecosystem>/all.zip                  OSV export per ecosystem (`Rocky Linux/all.zip`)
//! CACHE/debian/tracker.json                      Debian security tracker JSON
//! CACHE/alpine/<v3.N>/{main,community}.json      Alpine secdb
//! CACHE/nvd/cves.jsonl                           NVD API 2.0: one `cve` object per line, all pages
//! CACHE/nvd/state.json                          when the last complete NVD fetch started
//! CACHE/epss/epss_scores.csv.gz                  FIRST EPSS scores, gzipped CSV as published
//! CACHE/kev/known_exploited_vulnerabilities.json CISA KEV catalog
//! ```
//!
//! Every file is written to a temp file beside it, checked (zips must open, JSON must parse,
//! gzip must inflate to its end) and renamed into place, so a failed or truncated download
//! leaves the previous good copy. NVD's API gives no validators: after one complete fetch,
//! later ones ask only for the records modified since (up to 120 days; older caches are
//! fetched whole) and merge them into `cves.jsonl` by CVE id. NVD, EPSS and KEV are not
//! advisories: the builder reads them (`kabuto_vulndb::enrich`) and attaches them to the
//! advisories of each CVE.

mod cache;
mod fetch;
mod http;
mod nvd;
mod sources;

use std::path::{Path, PathBuf};

pub use cache::FeedCache;
pub use fetch::{SetupError, fetch};
pub use http::{FetchOptions, ProxyError, ProxySettings};
pub use sources::{
    AlpineBranch, AlpineSource, Ecosystem, EnvName, FeedUrl, NvdSource, OsvSource, Sources,
    SourcesError, UrlSource,
};

/// Why one feed could not be fetched.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("{url}: HTTP status {status}")]
    Status { url: String, status: u16 },
    /// ureq's message names the URL itself.
    #[error("{source}")]
    Transport {
        url: String,
        #[source]
        source: Box<ureq::Transport>,
    },
    #[error("{url}: the transfer broke off: {source}")]
    Body {
        url: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{url}: larger than the limit of {limit} bytes")]
    TooLarge { url: String, limit: u64 },
    /// The download arrived but is not what the feed publishes (a zip that does not open,
    /// JSON that does not parse, a bad NVD page).
    #[error("{url}: {reason}")]
    BadDocument { url: String, reason: String },
    #[error("OSV ecosystem `{ecosystem}` is not listed in {list}")]
    NotListed { ecosystem: String, list: String },
    #[error("feed cache {path}: {source}")]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl FetchError {
    pub(crate) fn cache(path: &Path, source: std::io::Error) -> Self {
        FetchError::Cache {
            path: path.to_owned(),
            source,
        }
    }
}

/// How one feed file ended.
#[derive(Debug)]
pub enum FeedStatus {
    /// Downloaded and stored: `bytes` received.
    Fetched { bytes: u64 },
    /// The server said the cached copy is current (HTTP 304).
    NotModified,
    /// Not fetched; the previous copy, if any, is still in the cache.
    Failed(FetchError),
}

/// One feed file: `osv/PyPI`, `debian`, `alpine/v3.20/main`, `nvd`, `epss`, `kev`, ...
#[derive(Debug)]
pub struct FeedOutcome {
    pub name: String,
    pub url: String,
    pub status: FeedStatus,
}

/// What a [`fetch`] did, feed by feed, in the order they were fetched.
#[derive(Debug, Default)]
pub struct FetchReport {
    pub feeds: Vec<FeedOutcome>,
}

impl FetchReport {
    pub fn failures(&self) -> impl Iterator<Item = &FeedOutcome> {
        self.feeds
            .iter()
            .filter(|f| matches!(f.status, FeedStatus::Failed(_)))
    }

    pub fn has_failures(&self) -> bool {
        self.failures().next().is_some()
    }

    /// Bytes downloaded over all feeds.
    pub fn bytes(&self) -> u64 {
        self.feeds
            .iter()
            .map(|f| match f.status {
                FeedStatus::Fetched { bytes } => bytes,
                _ => 0,
            })
            .sum()
    }
}

/// Told about a fetch as it goes (the CLI draws progress bars from it). Every method has an
/// empty default.
pub trait Progress {
    /// The number of feed files this fetch reports on; known once OSV's list was read.
    fn planned(&self, _feeds: usize) {}
    /// A feed file is being requested.
    fn started(&self, _feed: &str, _url: &str) {}
    /// The server announced the size of the body being received.
    fn length(&self, _feed: &str, _bytes: u64) {}
    /// `bytes` more were received.
    fn received(&self, _feed: &str, _bytes: u64) {}
    /// A feed file is done (fetched, not modified or failed).
    fn finished(&self, _outcome: &FeedOutcome) {}
}

/// A [`Progress`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}
