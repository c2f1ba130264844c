//! HTTP for the feeds: proxies from the environment, retries with backoff, conditional
//! requests, downloads written to a temp file and renamed into place.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use url::Url;

use crate::cache::{ValidatorIndex, Validators};
use crate::{FetchError, Progress};

/// How requests are made. [`FetchOptions::default`] reads the proxy variables.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Limit for connecting and for each read: a stalled transfer fails after this long, a
    /// large one that keeps flowing does not.
    pub timeout: Duration,
    /// Extra attempts after a connection error, a 5xx, a 429 or a broken transfer.
    pub retries: u32,
    /// Delay before the first retry; doubled for each further one.
    pub backoff: Duration,
    /// Longest delay between attempts, also for a server's `Retry-After`.
    pub max_backoff: Duration,
    /// Largest file (or NVD page) accepted.
    pub max_bytes: u64,
    pub proxy: ProxySettings,
    /// NVD's rate-limit window (30 s as published; tests shorten it).
    pub nvd_window: Duration,
    /// `resultsPerPage` asked of NVD (its maximum is 2000).
    pub nvd_page_size: u32,
    pub user_agent: String,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            timeout: Duration::from_secs(60),
            retries: 4,
            backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(120),
            max_bytes: 4 << 30,
            proxy: ProxySettings::from_env(),
            nvd_window: Duration::from_secs(30),
            nvd_page_size: 2000,
            user_agent: format!("kabuto/{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// `HTTPS_PROXY`, `HTTP_PROXY` (or `ALL_PROXY`) and `NO_PROXY`, upper or lower case.
/// `NO_PROXY` entries are host names (matching the host and its subdomains, a leading `.`
/// allowed), IP addresses, or `*`; CIDR ranges are not understood.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxySettings {
    pub https: Option<String>,
    pub http: Option<String>,
    pub no_proxy: Vec<String>,
}

impl ProxySettings {
    pub fn from_env() -> ProxySettings {
        let var = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| std::env::var(n).ok().filter(|v| !v.trim().is_empty()))
        };
        let all = var(&["ALL_PROXY", "all_proxy"]);
        ProxySettings {
            https: var(&["HTTPS_PROXY", "https_proxy"]).or_else(|| all.clone()),
            http: var(&["HTTP_PROXY", "http_proxy"]).or(all),
            no_proxy: var(&["NO_PROXY", "no_proxy"])
                .map(|v| parse_no_proxy(&v))
                .unwrap_or_default(),
        }
    }

    /// The proxy a request to `url` goes through, if any.
    pub fn for_url(&self, url: &Url) -> Option<&str> {
        let host = url
            .host_str()?
            .trim_start_matches('[')
            .trim_end_matches(']');
        if self.no_proxy.iter().any(|entry| bypasses(entry, host)) {
            return None;
        }
        match url.scheme() {
            "https" => self.https.as_deref(),
            _ => self.http.as_deref(),
        }
    }
}

fn parse_no_proxy(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(|e| e.trim().to_ascii_lowercase())
        .filter(|e| !e.is_empty())
        .collect()
}

fn bypasses(entry: &str, host: &str) -> bool {
    if entry == "*" {
        return true;
    }
    // `host:port` entries: the port is not compared.
    let entry = match entry.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => entry,
    };
    let entry = entry.trim_start_matches("*.").trim_start_matches('.');
    let host = host.to_ascii_lowercase();
    host == entry || host.ends_with(&format!(".{entry}"))
}

/// What a download ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Downloaded {
    Fetched { bytes: u64 },
    NotModified,
}

/// A check a downloaded file must pass before it replaces the cached copy.
pub(crate) type Verify = fn(&Path) -> Result<(), String>;

/// One file to download into the cache.
pub(crate) struct Download<'a> {
    pub feed: &'a str,
    pub url: &'a Url,
    pub dest: PathBuf,
    pub verify: Option<Verify>,
}

/// Why one attempt failed, and whether another may succeed.
enum Attempt {
    Retry {
        error: FetchError,
        after: Option<Duration>,
    },
    Fatal(FetchError),
}

impl From<FetchError> for Attempt {
    fn from(error: FetchError) -> Self {
        Attempt::Fatal(error)
    }
}

pub(crate) struct Client<'a> {
    pub options: &'a FetchOptions,
    direct: ureq::Agent,
    https_proxy: Option<ureq::Agent>,
    http_proxy: Option<ureq::Agent>,
    pub progress: &'a dyn Progress,
}

/// A proxy variable that ureq cannot use.
#[derive(Debug, thiserror::Error)]
#[error("proxy `{value}` is not usable: {source}")]
pub struct ProxyError {
    pub value: String,
    #[source]
    pub source: Box<ureq::Error>,
}

impl<'a> Client<'a> {
    pub fn new(options: &'a FetchOptions, progress: &'a dyn Progress) -> Result<Self, ProxyError> {
        let agent = |proxy: Option<&str>| -> Result<ureq::Agent, ProxyError> {
            // No connection reuse: ureq 2.12 clears a pooled connection's read timeout and
            // sets it again only for the body, so a server that stalls before the response
            // head on a reused connection would hang forever. One connection per feed file
            // costs a handshake each, nothing next to the transfers.
            let builder = ureq::AgentBuilder::new()
                .max_idle_connections(0)
                .timeout_connect(options.timeout)
                .timeout_read(options.timeout)
                .timeout_write(options.timeout)
                .user_agent(&options.user_agent);
            let builder = match proxy {
                Some(value) => builder.proxy(ureq::Proxy::new(value).map_err(|e| ProxyError {
                    value: value.to_owned(),
                    source: Box::new(e),
                })?),
                None => builder,
            };
            Ok(builder.build())
        };
        Ok(Client {
            options,
            direct: agent(None)?,
            https_proxy: options
                .proxy
                .https
                .as_deref()
                .map(|p| agent(Some(p)))
                .transpose()?,
            http_proxy: options
                .proxy
                .http
                .as_deref()
                .map(|p| agent(Some(p)))
                .transpose()?,
            progress,
        })
    }

    fn agent_for(&self, url: &Url) -> &ureq::Agent {
        let proxied = match url.scheme() {
            "https" => self.https_proxy.as_ref(),
            _ => self.http_proxy.as_ref(),
        };
        match (self.options.proxy.for_url(url), proxied) {
            (Some(_), Some(agent)) => agent,
            _ => &self.direct,
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are used up.
    fn with_retries<T>(
        &self,
        mut attempt: impl FnMut() -> Result<T, Attempt>,
    ) -> Result<T, FetchError> {
        let mut delay = self.options.backoff;
        let mut retries_left = self.options.retries;
        loop {
            match attempt() {
                Ok(value) => return Ok(value),
                Err(Attempt::Fatal(error)) => return Err(error),
                Err(Attempt::Retry { error, .. }) if retries_left == 0 => return Err(error),
                Err(Attempt::Retry { error, after }) => {
                    let wait = after.unwrap_or(delay).min(self.options.max_backoff);
                    tracing::info!("{error}; retrying in {} ms", wait.as_millis());
                    std::thread::sleep(wait);
                    delay = delay.saturating_mul(2);
                    retries_left -= 1;
                }
            }
        }
    }

    /// Sends one GET; errors are sorted into worth retrying or not.
    fn send(&self, url: &Url, headers: &[(&str, String)]) -> Result<ureq::Response, Attempt> {
        let mut request = self.agent_for(url).request_url("GET", url);
        for (name, value) in headers {
            request = request.set(name, value);
        }
        match request.call() {
            Ok(response) => Ok(response),
            Err(ureq::Error::Status(status, response)) => {
                let error = FetchError::Status {
                    url: url.to_string(),
                    status,
                };
                if status == 429 || status >= 500 {
                    let after = response.header("retry-after").and_then(retry_after);
                    Err(Attempt::Retry { error, after })
                } else {
                    Err(Attempt::Fatal(error))
                }
            }
            Err(ureq::Error::Transport(transport)) => {
                let retry = matches!(
                    transport.kind(),
                    ureq::ErrorKind::ConnectionFailed | ureq::ErrorKind::Io
                );
                let error = FetchError::Transport {
                    url: url.to_string(),
                    source: Box::new(transport),
                };
                Err(if retry {
                    Attempt::Retry { error, after: None }
                } else {
                    Attempt::Fatal(error)
                })
            }
        }
    }

    /// Downloads `job.url` into `job.dest`: conditional on the stored validators when the
    /// file is there, verified, then renamed over the old copy (which a failure leaves alone).
    pub fn download(
        &self,
        job: &Download<'_>,
        index: &mut ValidatorIndex,
    ) -> Result<Downloaded, FetchError> {
        let dir = job.dest.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| FetchError::cache(dir, e))?;
        let known = index.get(job.url).filter(|_| job.dest.is_file());
        let headers = known.map(Validators::request_headers).unwrap_or_default();
        let fetched = self.with_retries(|| {
            let response = self.send(job.url, &headers)?;
            if response.status() == 304 {
                return Ok(None);
            }
            let validators = Validators::from_response(&response);
            let mut temp =
                tempfile::NamedTempFile::new_in(dir).map_err(|e| FetchError::cache(dir, e))?;
            let bytes = self.copy_body(
                job.feed,
                job.url,
                response,
                (temp.as_file_mut(), &job.dest),
                self.options.max_bytes,
            )?;
            Ok(Some((temp, bytes, validators)))
        })?;
        let Some((temp, bytes, validators)) = fetched else {
            if known.is_none() {
                return Err(FetchError::BadDocument {
                    url: job.url.to_string(),
                    reason: "304 Not Modified to a request that was not conditional".into(),
                });
            }
            return Ok(Downloaded::NotModified);
        };
        if let Some(verify) = job.verify {
            verify(temp.path()).map_err(|reason| FetchError::BadDocument {
                url: job.url.to_string(),
                reason,
            })?;
        }
        temp.persist(&job.dest)
            .map_err(|e| FetchError::cache(&job.dest, e.error))?;
        index.set(job.url, validators);
        Ok(Downloaded::Fetched { bytes })
    }

    /// Streams a response body into `out` (a writer and the path naming it in errors), at
    /// most `limit` bytes, reporting progress.
    fn copy_body(
        &self,
        feed: &str,
        url: &Url,
        response: ureq::Response,
        (out, out_path): (&mut impl Write, &Path),
        limit: u64,
    ) -> Result<u64, Attempt> {
        let url = url.to_string();
        let length = response
            .header("content-length")
            .and_then(|l| l.trim().parse::<u64>().ok());
        if length.is_some_and(|l| l > limit) {
            return Err(FetchError::TooLarge { url, limit }.into());
        }
        if let Some(length) = length {
            self.progress.length(feed, length);
        }
        let mut body = response.into_reader().take(limit + 1);
        let mut buffer = vec![0u8; 64 << 10];
        let mut total = 0u64;
        loop {
            let n = match body.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(source) => {
                    let error = FetchError::Body { url, source };
                    return Err(Attempt::Retry { error, after: None });
                }
            };
            total += n as u64;
            if total > limit {
                return Err(FetchError::TooLarge { url, limit }.into());
            }
            out.write_all(&buffer[..n])
                .map_err(|e| FetchError::cache(out_path, e))?;
            self.progress.received(feed, n as u64);
        }
        out.flush().map_err(|e| FetchError::cache(out_path, e))?;
        Ok(total)
    }

    /// Fetches a document of at most `limit` bytes into memory (an NVD page), with retries;
    /// `before_each` runs before every attempt (the rate limiter).
    pub fn get_bytes(
        &self,
        feed: &str,
        url: &Url,
        headers: &[(&str, String)],
        limit: u64,
        mut before_each: impl FnMut(),
    ) -> Result<Vec<u8>, FetchError> {
        self.with_retries(|| {
            before_each();
            let response = self.send(url, headers)?;
            let mut bytes = Vec::new();
            // Writes into memory do not fail; the path only labels the output.
            self.copy_body(
                feed,
                url,
                response,
                (&mut bytes, Path::new("<memory>")),
                limit,
            )?;
            Ok(bytes)
        })
    }
}

/// `Retry-After`: seconds, or an HTTP date.
fn retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// At most `limit` requests in any `window` (NVD: 5 per 30 s without a key, 50 with one).
pub(crate) struct RateLimiter {
    limit: usize,
    window: Duration,
    sent: VecDeque<Instant>,
}

impl RateLimiter {
    pub fn new(limit: usize, window: Duration) -> Self {
        RateLimiter {
            limit: limit.max(1),
            window,
            sent: VecDeque::new(),
        }
    }

    /// How long a request made at `now` must wait.
    fn delay(&mut self, now: Instant) -> Duration {
        while self
            .sent
            .front()
            .is_some_and(|&t| now.saturating_duration_since(t) >= self.window)
        {
            self.sent.pop_front();
        }
        match self.sent.front() {
            Some(&oldest) if self.sent.len() >= self.limit => {
                (oldest + self.window).saturating_duration_since(now)
            }
            _ => Duration::ZERO,
        }
    }

    /// Waits until a request may be sent, and counts it.
    pub fn acquire(&mut self) {
        let wait = self.delay(Instant::now());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        self.sent.push_back(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).expect("url")
    }

    #[test]
    fn no_proxy_matches_hosts_subdomains_and_ports() {
        let settings = ProxySettings {
            https: Some("http://proxy:3128".into()),
            http: Some("http://proxy:8080".into()),
            no_proxy: parse_no_proxy("localhost, .internal.example,mirror.example:8443,10.0.0.1"),
        };
        let through = |u: &str| settings.for_url(&url(u));
        assert_eq!(through("https://a.example/x"), Some("http://proxy:3128"));
        assert_eq!(through("http://a.example/x"), Some("http://proxy:8080"));
        assert_eq!(through("http://localhost:9/x"), None);
        assert_eq!(through("https://feeds.internal.example/x"), None);
        assert_eq!(through("https://internal.example/x"), None);
        assert_eq!(through("https://mirror.example/x"), None);
        assert_eq!(
            through("https://notmirror.example/x"),
            Some("http://proxy:3128")
        );
        assert_eq!(through("http://10.0.0.1/x"), None);
        let all = ProxySettings {
            no_proxy: vec!["*".into()],
            ..settings.clone()
        };
        assert_eq!(all.for_url(&url("https://a.example")), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        assert_eq!(retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(
            retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon"), None);
    }

    #[test]
    fn rate_limiter_waits_for_the_oldest_request_to_leave_the_window() {
        let window = Duration::from_secs(30);
        let mut limiter = RateLimiter::new(5, window);
        let start = Instant::now();
        for i in 0..5 {
            let at = start + Duration::from_secs(i);
            assert_eq!(limiter.delay(at), Duration::ZERO);
            limiter.sent.push_back(at);
        }
        // The sixth request at t=10 s waits until the first (t=0) is 30 s old.
        assert_eq!(
            limiter.delay(start + Duration::from_secs(10)),
            Duration::from_secs(20)
        );
        // At t=31 s the first two have left the window.
        assert_eq!(
            limiter.delay(start + Duration::from_secs(31)),
            Duration::ZERO
        );
        assert_eq!(limiter.sent.len(), 3);
    }
}
