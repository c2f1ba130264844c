//! Progress bars on standard error when it is a terminal; nothing otherwise: one for a scan's
//! bytes, two for fetching the advisory feeds.

use std::io::IsTerminal;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use kabuto_scan::Progress;

pub struct Bar(Option<ProgressBar>);

impl Bar {
    /// A bar that draws only when stderr is a terminal and the user did not ask for quiet.
    pub fn new(message: &'static str, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::new(0).with_message(message);
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} {msg} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes}",
        ) {
            bar.set_style(style);
        }
        Bar(Some(bar))
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        if let Some(bar) = &self.0 {
            bar.set_length(total);
        }
    }
    fn advance(&self, done: u64) {
        if let Some(bar) = &self.0 {
            bar.inc(done);
        }
    }
}

impl Drop for Bar {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}

/// Two bars on a terminal: feeds done, and the bytes of the file being received.
pub struct FeedBars {
    feeds: Option<ProgressBar>,
    bytes: Option<ProgressBar>,
    _multi: Option<MultiProgress>,
}

impl FeedBars {
    pub fn new(quiet: bool) -> FeedBars {
        if quiet || !std::io::stderr().is_terminal() {
            return FeedBars {
                feeds: None,
                bytes: None,
                _multi: None,
            };
        }
        let multi = MultiProgress::new();
        let feeds = multi.add(ProgressBar::new(0));
        if let Ok(style) = ProgressStyle::with_template("feeds {pos}/{len} {wide_bar} {msg}") {
            feeds.set_style(style);
        }
        let bytes = multi.add(ProgressBar::new(0));
        if let Ok(style) =
            ProgressStyle::with_template("{msg:30} {bytes}/{total_bytes} {bytes_per_sec}")
        {
            bytes.set_style(style);
        }
        FeedBars {
            feeds: Some(feeds),
            bytes: Some(bytes),
            _multi: Some(multi),
        }
    }
}

impl kabuto_fetch::Progress for FeedBars {
    fn planned(&self, feeds: usize) {
        if let Some(bar) = &self.feeds {
            bar.set_length(feeds as u64);
        }
    }
    fn started(&self, feed: &str, _url: &str) {
        if let Some(bar) = &self.bytes {
            bar.reset();
            bar.set_length(0);
            bar.set_message(feed.to_owned());
        }
    }
    fn length(&self, _feed: &str, bytes: u64) {
        if let Some(bar) = &self.bytes {
            bar.set_length(bytes);
        }
    }
    fn received(&self, _feed: &str, bytes: u64) {
        if let Some(bar) = &self.bytes {
            bar.inc(bytes);
        }
    }
    fn finished(&self, outcome: &kabuto_fetch::FeedOutcome) {
        if let Some(bar) = &self.feeds {
            bar.inc(1);
            bar.set_message(outcome.name.clone());
        }
    }
}

impl Drop for FeedBars {
    fn drop(&mut self) {
        for bar in [&self.feeds, &self.bytes].into_iter().flatten() {
            bar.finish_and_clear();
        }
    }
}
