//! NVD API 2.0: every page of the CVE endpoint, merged into one JSON-lines file, then kept
//! up to date with the records modified since.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use crate::FetchError;
use crate::http::{Client, Downloaded, RateLimiter};
use crate::sources::NvdSource;

/// NVD's published limits: requests per rolling window (30 s) without and with an API key.
const REQUESTS_WITHOUT_KEY: usize = 5;
const REQUESTS_WITH_KEY: usize = 50;

/// A page of 2000 CVEs is some tens of MiB; anything far larger is not a page.
const MAX_PAGE_BYTES: u64 = 512 << 20;

/// The parts of a response page the paging needs.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    total_results: u64,
    vulnerabilities: Vec<Item>,
}

#[derive(Deserialize)]
struct Item {
    cve: Value,
}

/// NVD answers changes in at most 120 days per request; an older cache is fetched whole.
const MAX_INCREMENT_DAYS: i64 = 120;
/// Asked again before the last fetch started, so a record modified during it is not missed.
const OVERLAP_MINUTES: i64 = 10;

/// What a complete fetch left in the cache: when it started.
#[derive(Serialize, Deserialize)]
struct State {
    #[serde(with = "time::serde::rfc3339")]
    complete_as_of: OffsetDateTime,
}

/// Brings `dest` up to date: when an earlier complete fetch is at most 120 days old, only the
/// records modified since (`lastModStartDate`/`lastModEndDate`: NVD's API gives no ETag) are
/// fetched and merged in, and nothing modified is `NotModified`; otherwise every page is
/// fetched and replaces `dest`. The state is kept beside it (`state.json`).
pub(crate) fn fetch(
    client: &Client<'_>,
    feed: &str,
    source: &NvdSource,
    dest: &Path,
) -> Result<Downloaded, FetchError> {
    let started = OffsetDateTime::now_utc();
    let state_path = dest.with_file_name("state.json");
    let since = read_state(&state_path)
        .filter(|_| dest.is_file())
        .map(|state| state.complete_as_of - Duration::minutes(OVERLAP_MINUTES))
        .filter(|since| started - *since < Duration::days(MAX_INCREMENT_DAYS));
    let downloaded = match since {
        Some(since) => update(client, feed, source, dest, since, started)?,
        None => fetch_all(client, feed, source, dest)?,
    };
    write_state(&state_path, started)?;
    Ok(downloaded)
}

fn read_state(path: &Path) -> Option<State> {
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}

fn write_state(path: &Path, complete_as_of: OffsetDateTime) -> Result<(), FetchError> {
    let text = serde_json::to_vec(&State { complete_as_of })
        .map_err(|e| FetchError::cache(path, e.into()))?;
    std::fs::write(path, text).map_err(|e| FetchError::cache(path, e))
}

/// NVD's date parameters: extended ISO 8601 with milliseconds and an offset.
fn nvd_date(at: OffsetDateTime) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]+00:00"
    );
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .unwrap_or_default()
}

/// The records modified between `since` and `until`, merged into `dest` by CVE id.
fn update(
    client: &Client<'_>,
    feed: &str,
    source: &NvdSource,
    dest: &Path,
    since: OffsetDateTime,
    until: OffsetDateTime,
) -> Result<Downloaded, FetchError> {
    let window = [
        ("lastModStartDate", nvd_date(since)),
        ("lastModEndDate", nvd_date(until)),
    ];
    let mut changed: HashMap<String, String> = HashMap::new();
    let received = pages(client, feed, source, &window, |cve| {
        if let Some(id) = cve.get("id").and_then(Value::as_str) {
            changed.insert(id.to_owned(), cve.to_string());
        }
        Ok(())
    })?;
    if changed.is_empty() {
        return Ok(Downloaded::NotModified);
    }
    let old = std::fs::File::open(dest).map_err(|e| FetchError::cache(dest, e))?;
    replace(dest, |out| {
        for line in BufReader::new(old).lines() {
            let line = line.map_err(|e| FetchError::cache(dest, e))?;
            let id = serde_json::from_str::<Id>(&line).map(|r| r.id).ok();
            match id.and_then(|id| changed.remove(&id)) {
                Some(newer) => writeln!(out, "{newer}"),
                None => writeln!(out, "{line}"),
            }
            .map_err(|e| FetchError::cache(dest, e))?;
        }
        let mut added: Vec<(String, String)> = changed.drain().collect();
        added.sort();
        for (_, cve) in added {
            writeln!(out, "{cve}").map_err(|e| FetchError::cache(dest, e))?;
        }
        Ok(())
    })?;
    Ok(Downloaded::Fetched { bytes: received })
}

#[derive(Deserialize)]
struct Id {
    id: String,
}

/// Every page, replacing `dest` once all arrived.
fn fetch_all(
    client: &Client<'_>,
    feed: &str,
    source: &NvdSource,
    dest: &Path,
) -> Result<Downloaded, FetchError> {
    let mut received = 0;
    replace(dest, |out| {
        received = pages(client, feed, source, &[], |cve| {
            serde_json::to_writer(&mut *out, cve)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| FetchError::cache(dest, e))
        })?;
        Ok(())
    })?;
    Ok(Downloaded::Fetched { bytes: received })
}

/// Writes `dest` through a temp file beside it, renamed into place when `write` succeeds.
fn replace(
    dest: &Path,
    write: impl FnOnce(&mut BufWriter<tempfile::NamedTempFile>) -> Result<(), FetchError>,
) -> Result<(), FetchError> {
    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| FetchError::cache(dir, e))?;
    let temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| FetchError::cache(dir, e))?;
    let mut out = BufWriter::new(temp);
    write(&mut out)?;
    let temp = out
        .into_inner()
        .map_err(|e| FetchError::cache(dest, e.into_error()))?;
    temp.persist(dest)
        .map_err(|e| FetchError::cache(dest, e.error))?;
    Ok(())
}

/// Every page of the query (`startIndex` advancing by the records each page held, until
/// `totalResults`), each record handed to `record`; returns the bytes received.
fn pages(
    client: &Client<'_>,
    feed: &str,
    source: &NvdSource,
    extra: &[(&str, String)],
    mut record: impl FnMut(&Value) -> Result<(), FetchError>,
) -> Result<u64, FetchError> {
    let options = client.options;
    let api_key = source.api_key_env.as_ref().and_then(|env| env.value());
    let limit = if api_key.is_some() {
        REQUESTS_WITH_KEY
    } else {
        REQUESTS_WITHOUT_KEY
    };
    let mut limiter = RateLimiter::new(limit, options.nvd_window);
    let headers: Vec<(&str, String)> = api_key.into_iter().map(|k| ("apiKey", k)).collect();
    let (mut start, mut received) = (0u64, 0u64);
    loop {
        let mut url = source.url.as_url().clone();
        url.query_pairs_mut()
            .extend_pairs(extra.iter().map(|(k, v)| (*k, v.as_str())))
            .append_pair("startIndex", &start.to_string())
            .append_pair("resultsPerPage", &options.nvd_page_size.to_string());
        let bytes = client.get_bytes(feed, &url, &headers, MAX_PAGE_BYTES, || limiter.acquire())?;
        received += bytes.len() as u64;
        if received > options.max_bytes {
            let limit = options.max_bytes;
            return Err(FetchError::TooLarge {
                url: url.to_string(),
                limit,
            });
        }
        let bad = |reason: String| FetchError::BadDocument {
            url: url.to_string(),
            reason,
        };
        let page: Page = serde_json::from_slice(&bytes)
            .map_err(|e| bad(format!("not an NVD API 2.0 CVE page: {e}")))?;
        if page.vulnerabilities.is_empty() && start < page.total_results {
            let total = page.total_results;
            return Err(bad(format!(
                "empty page at startIndex {start} of totalResults {total}"
            )));
        }
        for item in &page.vulnerabilities {
            record(&item.cve)?;
        }
        start += page.vulnerabilities.len() as u64;
        if start >= page.total_results {
            return Ok(received);
        }
    }
}
