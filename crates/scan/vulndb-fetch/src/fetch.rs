//! One fetch: plan the feed files from the sources, download each, report each.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use url::Url;

use crate::cache::{FeedCache, ValidatorIndex};
use crate::http::{Client, Download, Downloaded, FetchOptions, ProxyError, Verify};
use crate::sources::{Ecosystem, NvdSource, OsvSource, Sources};
use crate::{FeedOutcome, FeedStatus, FetchError, FetchReport, Progress, nvd};

/// What stops a fetch before any feed is tried.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("cannot create the feed cache {path}: {source}")]
    Cache {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Proxy(#[from] ProxyError),
}

/// One feed file to fetch.
struct Job {
    name: String,
    url: Url,
    kind: JobKind,
}

enum JobKind {
    File { dest: PathBuf, verify: Verify },
    Nvd { source: NvdSource, dest: PathBuf },
}

/// Downloads every feed `sources` names into `cache`. One feed failing does not stop the
/// others; each file's outcome is in the report, and a failed file keeps its previous copy.
pub fn fetch(
    sources: &Sources,
    cache: &FeedCache,
    options: &FetchOptions,
    progress: &dyn Progress,
) -> Result<FetchReport, SetupError> {
    std::fs::create_dir_all(cache.root()).map_err(|source| SetupError::Cache {
        path: cache.root().to_owned(),
        source,
    })?;
    let client = Client::new(options, progress)?;
    let mut run = Run {
        client,
        cache,
        index: ValidatorIndex::load(cache),
        report: FetchReport::default(),
    };
    let mut jobs = Vec::new();
    if let Some(osv) = &sources.osv {
        jobs.extend(run.plan_osv(osv));
    }
    jobs.extend(plan_single_files(sources, cache));
    progress.planned(run.report.feeds.len() + jobs.len());
    for done in &run.report.feeds {
        progress.finished(done);
    }
    for job in jobs {
        let outcome = run.fetch(job);
        progress.finished(&outcome);
        run.report.feeds.push(outcome);
    }
    Ok(run.report)
}

struct Run<'a> {
    client: Client<'a>,
    cache: &'a FeedCache,
    index: ValidatorIndex,
    report: FetchReport,
}

impl Run<'_> {
    /// Fetches `ecosystems.txt` (reported as feed `osv/ecosystems.txt`) and turns it into one
    /// job per ecosystem; a listed name that is not published is reported as failed.
    fn plan_osv(&mut self, osv: &OsvSource) -> Vec<Job> {
        let list = Job {
            name: "osv/ecosystems.txt".into(),
            url: osv.base.join(&["ecosystems.txt"]),
            kind: JobKind::File {
                dest: self.cache.osv_ecosystem_list(),
                verify: verify_utf8,
            },
        };
        let list_url = list.url.to_string();
        let outcome = self.fetch(list);
        let failed = matches!(outcome.status, FeedStatus::Failed(_));
        self.report.feeds.push(outcome);
        if failed {
            return Vec::new();
        }
        let published = match read_ecosystem_list(&self.cache.osv_ecosystem_list()) {
            Ok(names) => names,
            Err(reason) => {
                self.fail(
                    "osv",
                    &list_url,
                    FetchError::BadDocument {
                        url: list_url.clone(),
                        reason,
                    },
                );
                return Vec::new();
            }
        };
        let wanted: Vec<String> = match &osv.ecosystems {
            Some(only) => only.iter().map(|e| e.as_str().to_owned()).collect(),
            None => published.clone(),
        };
        let mut jobs = Vec::new();
        for name in wanted {
            let url = osv.base.join(&[&name, "all.zip"]);
            if !published.contains(&name) {
                let error = FetchError::NotListed {
                    ecosystem: name.clone(),
                    list: list_url.clone(),
                };
                self.fail(&format!("osv/{name}"), url.as_str(), error);
                continue;
            }
            match Ecosystem::try_from(name.clone()) {
                Ok(ecosystem) => jobs.push(Job {
                    name: format!("osv/{name}"),
                    url,
                    kind: JobKind::File {
                        dest: self.cache.osv_zip(&ecosystem),
                        verify: verify_zip,
                    },
                }),
                Err(reason) => {
                    let error = FetchError::BadDocument {
                        url: list_url.clone(),
                        reason,
                    };
                    self.fail(&format!("osv/{}", name.escape_debug()), url.as_str(), error);
                }
            }
        }
        jobs
    }

    fn fail(&mut self, name: &str, url: &str, error: FetchError) {
        self.report.feeds.push(FeedOutcome {
            name: name.to_owned(),
            url: url.to_owned(),
            status: FeedStatus::Failed(error),
        });
    }

    fn fetch(&mut self, job: Job) -> FeedOutcome {
        self.client.progress.started(&job.name, job.url.as_str());
        let result = match &job.kind {
            JobKind::File { dest, verify } => {
                let download = Download {
                    feed: &job.name,
                    url: &job.url,
                    dest: dest.clone(),
                    verify: Some(*verify),
                };
                self.client.download(&download, &mut self.index)
            }
            JobKind::Nvd { source, dest } => nvd::fetch(&self.client, &job.name, source, dest),
        };
        let result = result.and_then(|done| {
            if matches!(done, Downloaded::Fetched { .. }) {
                let index = self.cache.root().join("validators.json");
                self.index
                    .save()
                    .map_err(|e| FetchError::cache(&index, e))?;
            }
            Ok(done)
        });
        let status = match result {
            Ok(Downloaded::Fetched { bytes }) => FeedStatus::Fetched { bytes },
            Ok(Downloaded::NotModified) => FeedStatus::NotModified,
            Err(error) => FeedStatus::Failed(error),
        };
        FeedOutcome {
            name: job.name,
            url: job.url.to_string(),
            status,
        }
    }
}

/// Debian, Alpine, NVD, EPSS and KEV: files whose URLs the sources give directly.
fn plan_single_files(sources: &Sources, cache: &FeedCache) -> Vec<Job> {
    let file = |name: String, url: Url, dest: PathBuf, verify: Verify| Job {
        name,
        url,
        kind: JobKind::File { dest, verify },
    };
    let mut jobs = Vec::new();
    if let Some(debian) = &sources.debian {
        let url = debian.url.as_url().clone();
        jobs.push(file(
            "debian".into(),
            url,
            cache.debian_tracker(),
            verify_json,
        ));
    }
    if let Some(alpine) = &sources.alpine {
        for branch in &alpine.branches {
            for repo in ["main", "community"] {
                let url = alpine
                    .base
                    .join(&[branch.as_str(), &format!("{repo}.json")]);
                let dest = cache.alpine_secdb(branch, repo);
                jobs.push(file(
                    format!("alpine/{}/{repo}", branch.as_str()),
                    url,
                    dest,
                    verify_json,
                ));
            }
        }
    }
    if let Some(nvd) = &sources.nvd {
        jobs.push(Job {
            name: "nvd".into(),
            url: nvd.url.as_url().clone(),
            kind: JobKind::Nvd {
                source: nvd.clone(),
                dest: cache.nvd_cves(),
            },
        });
    }
    if let Some(epss) = &sources.epss {
        let url = epss.url.as_url().clone();
        jobs.push(file("epss".into(), url, cache.epss_scores(), verify_gzip));
    }
    if let Some(kev) = &sources.kev {
        let url = kev.url.as_url().clone();
        jobs.push(file("kev".into(), url, cache.kev_catalog(), verify_json));
    }
    jobs
}

/// The names in OSV's `ecosystems.txt`, one a line.
fn read_ecosystem_list(path: &Path) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

fn open(path: &Path) -> Result<File, String> {
    File::open(path).map_err(|e| format!("cannot reopen the download: {e}"))
}

/// A truncated zip has no central directory at its end: opening it fails.
fn verify_zip(path: &Path) -> Result<(), String> {
    zip::ZipArchive::new(open(path)?)
        .map(drop)
        .map_err(|e| format!("not a readable zip archive (truncated download?): {e}"))
}

/// Checks the syntax without building the document in memory (the Debian tracker is large).
fn verify_json(path: &Path) -> Result<(), String> {
    let mut reader = serde_json::Deserializer::from_reader(BufReader::new(open(path)?));
    <serde::de::IgnoredAny as serde::Deserialize>::deserialize(&mut reader)
        .and_then(|_| reader.end())
        .map_err(|e| format!("not valid JSON (truncated download?): {e}"))
}

fn verify_gzip(path: &Path) -> Result<(), String> {
    let mut decoder = flate2::read::GzDecoder::new(BufReader::new(open(path)?));
    std::io::copy(&mut decoder, &mut std::io::sink())
        .map(drop)
        .map_err(|e| format!("not a complete gzip file (truncated download?): {e}"))
}

fn verify_utf8(path: &Path) -> Result<(), String> {
    let mut text = String::new();
    open(path)?
        .read_to_string(&mut text)
        .map(drop)
        .map_err(|e| format!("not UTF-8 text: {e}"))
}
