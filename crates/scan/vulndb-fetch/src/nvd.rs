//! NVD API 2.0: every page of the CVE endpoint, merged into one JSON-lines file.

use std::io::{BufWriter, Write};
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

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

/// Fetches every page (`startIndex` advancing by the records each page held, until
/// `totalResults`) and replaces `dest` with one `cve` object per line once all arrived.
pub(crate) fn fetch(
    client: &Client<'_>,
    feed: &str,
    source: &NvdSource,
    dest: &Path,
) -> Result<Downloaded, FetchError> {
    let options = client.options;
    let api_key = source.api_key_env.as_ref().and_then(|env| env.value());
    let limit = if api_key.is_some() {
        REQUESTS_WITH_KEY
    } else {
        REQUESTS_WITHOUT_KEY
    };
    let mut limiter = RateLimiter::new(limit, options.nvd_window);
    let headers: Vec<(&str, String)> = api_key.into_iter().map(|k| ("apiKey", k)).collect();

    let dir = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| FetchError::cache(dir, e))?;
    let temp = tempfile::NamedTempFile::new_in(dir).map_err(|e| FetchError::cache(dir, e))?;
    let mut out = BufWriter::new(temp);
    let (mut start, mut received) = (0u64, 0u64);
    loop {
        let mut url = source.url.as_url().clone();
        url.query_pairs_mut()
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
            serde_json::to_writer(&mut out, &item.cve)
                .map_err(std::io::Error::from)
                .and_then(|()| out.write_all(b"\n"))
                .map_err(|e| FetchError::cache(dest, e))?;
        }
        start += page.vulnerabilities.len() as u64;
        if start >= page.total_results {
            break;
        }
    }
    let temp = out
        .into_inner()
        .map_err(|e| FetchError::cache(dest, e.into_error()))?;
    temp.persist(dest)
        .map_err(|e| FetchError::cache(dest, e.error))?;
    Ok(Downloaded::Fetched { bytes: received })
}
