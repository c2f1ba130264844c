//! Ingestion: walk the sources, recognise each file's feed, convert, merge by id, write.
//!
//! A malformed record never stops a build: it becomes a [`BuildWarning`] naming the file and
//! the field, and the build goes on.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde_json::Value;

use crate::advisory::Advisory;
use crate::age::BuildTime;
use crate::db::{self, WriteError};
use crate::enrich::{self, Enrichment};
use crate::feeds::{self, FeedError, SecDbDocument};
use crate::osv::{OsvError, OsvRecord};

/// One record or file that was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildWarning {
    /// The file, plus `!entry` for members of a zip archive.
    pub file: String,
    pub message: String,
}

/// What a build read, kept and dropped.
#[derive(Debug, Clone, Default)]
pub struct BuildReport {
    pub files_read: usize,
    pub input_bytes: u64,
    /// Records converted (before merging records that share an id).
    pub records: usize,
    /// Advisories after merging by id.
    pub advisories: usize,
    pub withdrawn: usize,
    /// GIT ranges dropped: they name commits, which installed packages do not have.
    pub git_ranges_skipped: usize,
    /// Records about things Kabuto does not match (Ruby interpreters, Node.js core, ...).
    pub not_applicable: usize,
    /// Files that are not advisories (READMEs, TOML-in-Markdown duplicates, changelogs, TSV).
    pub ignored_files: usize,
    /// Soft problems inside records that were still kept (dropped alias, unknown range type).
    pub notes: usize,
    /// CVEs with NVD vectors, EPSS scores and KEV entries read.
    pub nvd_records: usize,
    pub epss_scores: usize,
    pub kev_entries: usize,
    /// Advisories that got NVD, EPSS or KEV context.
    pub enriched: usize,
    pub warnings: Vec<BuildWarning>,
    pub output_bytes: u64,
    pub elapsed_ms: u128,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("source {path} does not exist or cannot be read: {source}")]
    Source {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no advisories found in the given sources")]
    Empty,
    #[error(transparent)]
    Write(#[from] WriteError),
    #[error("cannot write {path}: {source}")]
    Output {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Everything one file yielded.
#[derive(Default)]
struct FileOutcome {
    advisories: Vec<Advisory>,
    warnings: Vec<BuildWarning>,
    withdrawn: usize,
    git_ranges_skipped: usize,
    not_applicable: usize,
    ignored: bool,
    notes: usize,
    bytes: u64,
    enrichment: Enrichment,
}

impl FileOutcome {
    fn warn(&mut self, file: &str, message: impl ToString) {
        // Returned in the report, not logged: the caller decides how to show them.
        let message = message.to_string();
        self.warnings.push(BuildWarning {
            file: file.to_owned(),
            message,
        });
    }

    /// The file, read as a stream (its size counted); `None` with a warning when it cannot be.
    fn open(&mut self, file: &str, path: &Path) -> Option<std::fs::File> {
        match std::fs::File::open(path) {
            Ok(opened) => {
                self.bytes = opened.metadata().map(|m| m.len()).unwrap_or_default();
                Some(opened)
            }
            Err(e) => {
                self.warn(file, format!("cannot read: {e}"));
                None
            }
        }
    }

    fn absorb(&mut self, other: FileOutcome) {
        self.advisories.extend(other.advisories);
        self.warnings.extend(other.warnings);
        self.withdrawn += other.withdrawn;
        self.git_ranges_skipped += other.git_ranges_skipped;
        self.not_applicable += other.not_applicable;
        self.notes += other.notes;
        self.enrichment.absorb(other.enrichment);
    }

    fn feed_result(&mut self, file: &str, result: Result<Vec<Advisory>, FeedError>) {
        match result {
            Ok(advisories) => self.advisories.extend(advisories),
            Err(FeedError::NotApplicable(_)) => self.not_applicable += 1,
            Err(e) => self.warn(file, e),
        }
    }

    fn osv(&mut self, file: &str, record: OsvRecord) {
        let git_in_record = |r: &OsvRecord| {
            r.affected
                .iter()
                .flatten()
                .flat_map(|a| a.ranges.iter().flatten())
                .filter(|r| r.kind == "GIT")
                .count()
        };
        let git = git_in_record(&record);
        match record.convert("osv") {
            Ok(c) => {
                self.git_ranges_skipped += c.git_ranges_skipped;
                self.notes += c.notes.len();
                for note in c.notes {
                    tracing::debug!(file, "{note}");
                }
                self.advisories.push(c.advisory);
            }
            Err(OsvError::Withdrawn) => self.withdrawn += 1,
            Err(OsvError::NothingAffected) if git > 0 => {
                self.git_ranges_skipped += git;
                self.not_applicable += 1;
            }
            Err(e) => self.warn(file, e),
        }
    }
}

/// Converts every advisory file under `sources` (files, directories walked recursively, OSV
/// `all.zip` archives) and merges records sharing an id. Sorted by id.
pub fn collect(sources: &[PathBuf]) -> Result<(Vec<Advisory>, BuildReport), BuildError> {
    let started = Instant::now();
    let mut files = Vec::new();
    for source in sources {
        walk(source, &mut files).map_err(|e| BuildError::Source {
            path: source.clone(),
            source: e,
        })?;
    }
    let outcomes: Vec<FileOutcome> = files.par_iter().map(|f| read_file(f)).collect();

    let mut report = BuildReport {
        files_read: files.len(),
        ..BuildReport::default()
    };
    let mut merged: HashMap<String, Advisory> = HashMap::new();
    let mut enrichment = Enrichment::default();
    for outcome in outcomes {
        enrichment.absorb(outcome.enrichment);
        report.input_bytes += outcome.bytes;
        report.records += outcome.advisories.len();
        report.withdrawn += outcome.withdrawn;
        report.git_ranges_skipped += outcome.git_ranges_skipped;
        report.not_applicable += outcome.not_applicable;
        report.ignored_files += usize::from(outcome.ignored);
        report.notes += outcome.notes;
        report.warnings.extend(outcome.warnings);
        for adv in outcome.advisories {
            match merged.get_mut(adv.id.as_str()) {
                Some(existing) => merge(existing, adv),
                None => {
                    merged.insert(adv.id.as_str().to_owned(), adv);
                }
            }
        }
    }
    let mut advisories: Vec<Advisory> = merged.into_values().collect();
    advisories.sort_by(|a, b| a.id.cmp(&b.id));
    report.advisories = advisories.len();
    report.nvd_records = enrichment.nvd.len();
    report.epss_scores = enrichment.epss.len();
    report.kev_entries = enrichment.kev.len();
    report.enriched = enrichment.apply(&mut advisories);
    report.elapsed_ms = started.elapsed().as_millis();
    Ok((advisories, report))
}

/// Builds the database file at `out` from `sources` (atomic: temp file + rename).
pub fn build(sources: &[PathBuf], out: &Path) -> Result<BuildReport, BuildError> {
    let started = Instant::now();
    let (advisories, mut report) = collect(sources)?;
    if advisories.is_empty() {
        return Err(BuildError::Empty);
    }
    let names = sources.iter().map(|s| s.display().to_string()).collect();
    let bytes = db::encode(
        &advisories,
        names,
        BuildTime::from(time::OffsetDateTime::now_utc()),
    )?;
    db::write_atomically(out, &bytes).map_err(|e| BuildError::Output {
        path: out.to_owned(),
        source: e,
    })?;
    report.output_bytes = bytes.len() as u64;
    report.elapsed_ms = started.elapsed().as_millis();
    Ok(report)
}

/// Two records with one id (a CVE listed by several feeds or releases): one advisory with
/// every affected package, the union of ids and references, and the richer text.
fn merge(into: &mut Advisory, other: Advisory) {
    for a in other.affected {
        if !into.affected.contains(&a) {
            into.affected.push(a);
        }
    }
    for (list, extra) in [
        (&mut into.aliases, other.aliases),
        (&mut into.related, other.related),
    ] {
        for id in extra {
            if !list.contains(&id) {
                list.push(id);
            }
        }
    }
    for r in other.references {
        if !into.references.contains(&r) {
            into.references.push(r);
        }
    }
    for s in other.severities {
        if !into.severities.contains(&s) {
            into.severities.push(s);
        }
    }
    let longer = |mine: &mut Option<String>, theirs: Option<String>| {
        if theirs.as_ref().map_or(0, String::len) > mine.as_ref().map_or(0, String::len) {
            *mine = theirs;
        }
    };
    longer(&mut into.summary, other.summary);
    longer(&mut into.details, other.details);
    if into.published.is_none() {
        into.published = other.published;
    }
    if into.modified < other.modified {
        into.modified = other.modified;
    }
    if !into.feed.split('+').any(|f| f == other.feed) {
        into.feed = format!("{}+{}", into.feed, other.feed);
    }
}

fn walk(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let meta = std::fs::metadata(path)?;
    if meta.is_file() {
        out.push(path.to_owned());
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(path)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let p = entry.path();
        if entry.file_type()?.is_dir() {
            walk(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

fn extension(path: &Path) -> String {
    path.extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase()
}

fn read_file(path: &Path) -> FileOutcome {
    let file = path.display().to_string();
    let mut outcome = FileOutcome::default();
    let ext = extension(path);
    if !matches!(
        ext.as_str(),
        "json" | "jsonl" | "yaml" | "yml" | "zip" | "csv" | "gz"
    ) {
        outcome.ignored = true;
        return outcome;
    }
    if matches!(ext.as_str(), "csv" | "gz") {
        read_epss(&file, path, &mut outcome);
        return outcome;
    }
    if ext == "zip" {
        read_zip(&file, path, &mut outcome);
        return outcome;
    }
    if ext == "jsonl" {
        read_nvd_lines(&file, path, &mut outcome);
        return outcome;
    }
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            outcome.warn(&file, format!("cannot read: {e}"));
            return outcome;
        }
    };
    outcome.bytes = bytes.len() as u64;
    let Ok(text) = std::str::from_utf8(&bytes) else {
        outcome.warn(&file, "not UTF-8 text");
        return outcome;
    };
    if ext == "json" {
        read_json(&file, text, &mut outcome);
    } else {
        read_yaml(&file, path, text, &mut outcome);
    }
    outcome
}

/// Reads the archive's members one at a time from the file: an ecosystem's `all.zip` can be
/// hundreds of MiB, and only one member is in memory at once.
fn read_zip(file: &str, path: &Path, outcome: &mut FileOutcome) {
    let Some(opened) = outcome.open(file, path) else {
        return;
    };
    let mut archive = match zip::ZipArchive::new(std::io::BufReader::new(opened)) {
        Ok(a) => a,
        Err(e) => {
            outcome.warn(file, format!("not a readable zip archive: {e}"));
            return;
        }
    };
    let mut member = MemberReader::default();
    for i in 0..archive.len() {
        let mut entry = match archive.by_index_raw(i) {
            Ok(e) => e,
            Err(e) => {
                outcome.warn(file, format!("zip entry {i}: {e}"));
                continue;
            }
        };
        if !entry.is_file() || !entry.name().ends_with(".json") {
            continue;
        }
        let name = format!("{file}!{}", entry.name());
        if let Err(e) = member.read(&mut entry) {
            outcome.warn(&name, format!("cannot read entry: {e}"));
            continue;
        }
        let bytes = &member.inflated;
        // A cut document would only fail to parse at the cut, which reads like a broken
        // feed: say what happened instead.
        if bytes.len() as u64 > MAX_ENTRY {
            outcome.warn(
                &name,
                format!(
                    "entry inflates past the {} MiB limit; not analyzed",
                    MAX_ENTRY >> 20
                ),
            );
            continue;
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            outcome.warn(&name, "not UTF-8 text");
            continue;
        };
        let mut inner = FileOutcome::default();
        read_json(&name, text, &mut inner);
        outcome.absorb(inner);
    }
}

/// Inflates zip members with one decompressor and one buffer for the whole archive. The zip
/// crate's own reader allocates a decompressor per member, and on an export of thousands of
/// members that left the heap at three times the memory of the same files on disk.
#[derive(Default)]
struct MemberReader {
    compressed: Vec<u8>,
    inflated: Vec<u8>,
    inflater: Option<flate2::Decompress>,
}

impl MemberReader {
    /// The member's bytes in `self.inflated`: at most `MAX_ENTRY + 1` of them (more means
    /// the member is over the limit), checked against the member's CRC-32 when whole.
    fn read(&mut self, entry: &mut zip::read::ZipFile<'_, impl Read>) -> std::io::Result<()> {
        let invalid =
            |message: String| std::io::Error::new(std::io::ErrorKind::InvalidData, message);
        self.compressed.clear();
        self.inflated.clear();
        entry
            .by_ref()
            .take(MAX_ENTRY.saturating_mul(2))
            .read_to_end(&mut self.compressed)?;
        match entry.compression() {
            zip::CompressionMethod::Stored => {
                let whole = self.compressed.len().min(MAX_ENTRY as usize + 1);
                self.inflated.extend_from_slice(&self.compressed[..whole]);
            }
            zip::CompressionMethod::Deflated => self.inflate().map_err(invalid)?,
            other => {
                return Err(invalid(format!(
                    "compression method {other} is not supported"
                )));
            }
        }
        let whole = self.inflated.len() as u64 <= MAX_ENTRY;
        if whole && crc32fast::hash(&self.inflated) != entry.crc32() {
            return Err(invalid(
                "CRC-32 mismatch: the archive is damaged".to_owned(),
            ));
        }
        Ok(())
    }

    fn inflate(&mut self) -> Result<(), String> {
        let inflater = self
            .inflater
            .get_or_insert_with(|| flate2::Decompress::new(false));
        inflater.reset(false);
        loop {
            if self.inflated.len() as u64 > MAX_ENTRY {
                return Ok(());
            }
            self.inflated.reserve(64 << 10);
            let consumed = usize::try_from(inflater.total_in()).unwrap_or(usize::MAX);
            let input = self.compressed.get(consumed..).unwrap_or_default();
            let before = (inflater.total_in(), inflater.total_out());
            let status = inflater
                .decompress_vec(input, &mut self.inflated, flate2::FlushDecompress::Finish)
                .map_err(|e| format!("deflate: {e}"))?;
            if status == flate2::Status::StreamEnd {
                return Ok(());
            }
            if (inflater.total_in(), inflater.total_out()) == before {
                return Err("the compressed data ends early".to_owned());
            }
        }
    }
}

/// Larger zip members are not advisories (the largest OSV records are a few hundred KiB)
/// and may be zip bombs.
const MAX_ENTRY: u64 = 16 << 20;

/// What a JSON document is, from its top-level keys.
fn read_json(file: &str, text: &str, outcome: &mut FileOutcome) {
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            outcome.warn(file, format!("invalid JSON: {e}"));
            return;
        }
    };
    let Some(obj) = value.as_object() else {
        outcome.warn(file, "JSON document is not an object");
        return;
    };
    let has = |k: &str| obj.contains_key(k);
    if is_nvd(obj) {
        read_nvd(file, text, outcome);
    } else if has("catalogVersion") && has("vulnerabilities") {
        match enrich::read_kev(text) {
            Ok(kev) => outcome.enrichment.kev = kev,
            Err(e) => outcome.warn(file, format!("KEV catalog: {e}")),
        }
    } else if has("id")
        && (has("affected") || has("modified") || has("withdrawn"))
        && !has("module_name")
    {
        match serde_json::from_value::<OsvRecord>(value) {
            Ok(record) => outcome.osv(file, record),
            Err(e) => outcome.warn(file, format!("OSV record: {e}")),
        }
    } else if has("module_name") {
        outcome.feed_result(file, feeds::nodejs_security_wg(text).map(|a| vec![a]));
    } else if has("vulnerable") && has("cve") {
        // nodejs-security-wg core/deps records: about the Node.js runtime, not an npm package.
        outcome.not_applicable += 1;
    } else if has("packages") && has("distroversion") {
        outcome.feed_result(file, feeds::alpine_secdb(SecDbDocument::Json(text)));
    } else if is_debian_tracker(obj) {
        match feeds::debian_tracker(text) {
            Ok((advisories, notes)) => {
                outcome.advisories.extend(advisories);
                for n in notes {
                    outcome.warn(file, n);
                }
            }
            Err(e) => outcome.warn(file, e),
        }
    } else if obj.values().all(|v| v.get("module_name").is_some()) && !obj.is_empty() {
        // nodejs-security-wg `index.json`: the same records as the numbered files.
        outcome.ignored = true;
    } else {
        outcome.warn(file, "unrecognised JSON document (not OSV or a known feed)");
    }
}

/// An NVD API 2.0 page, or one of its `cve` objects (which has an `affected` key too, so
/// this is asked before OSV).
fn is_nvd(obj: &serde_json::Map<String, Value>) -> bool {
    let page = obj
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .is_some_and(|v| v.first().is_none_or(|first| first.get("cve").is_some()))
        && obj.contains_key("resultsPerPage");
    let record = obj.contains_key("sourceIdentifier") && obj.contains_key("metrics");
    page || record
}

fn read_nvd(file: &str, text: &str, outcome: &mut FileOutcome) {
    nvd_outcome(file, enrich::read_nvd(text), outcome);
}

/// NVD's records as the feed cache keeps them (`cves.jsonl`, all of NVD), read line by line
/// from the file rather than whole.
fn read_nvd_lines(file: &str, path: &Path, outcome: &mut FileOutcome) {
    let Some(opened) = outcome.open(file, path) else {
        return;
    };
    let read = enrich::read_nvd_lines(std::io::BufReader::new(opened));
    nvd_outcome(file, read, outcome);
}

fn nvd_outcome(
    file: &str,
    read: Result<enrich::NvdVectors, enrich::EnrichError>,
    outcome: &mut FileOutcome,
) {
    match read {
        Ok(nvd) => outcome.enrichment.nvd = nvd,
        Err(e) => outcome.warn(file, format!("NVD records: {e}")),
    }
}

/// FIRST's EPSS scores: `.csv`, or `.csv.gz` as FIRST serves them. Other `.gz` files are not
/// advisories.
fn read_epss(file: &str, path: &Path, outcome: &mut FileOutcome) {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let gzipped = name.ends_with(".gz");
    if gzipped && !name.ends_with(".csv.gz") {
        outcome.ignored = true;
        return;
    }
    let Some(opened) = outcome.open(file, path) else {
        return;
    };
    let reader: Box<dyn std::io::Read> = if gzipped {
        Box::new(flate2::read::GzDecoder::new(opened))
    } else {
        Box::new(opened)
    };
    match enrich::read_epss(std::io::BufReader::new(reader.take(MAX_EPSS))) {
        Ok(epss) => outcome.enrichment.epss = epss,
        Err(e) => outcome.warn(file, format!("EPSS scores: {e}")),
    }
}

/// FIRST's full CSV is about 10 MiB for 300,000 CVEs; far larger is not an EPSS file.
const MAX_EPSS: u64 = 256 << 20;

fn is_debian_tracker(obj: &serde_json::Map<String, Value>) -> bool {
    !obj.is_empty()
        && obj.values().all(|v| {
            v.as_object().is_some_and(|cves| {
                cves.iter().all(|(k, v)| {
                    (k.starts_with("CVE-") || k.starts_with("TEMP-")) && v.get("releases").is_some()
                })
            })
        })
}

/// YAML feeds are recognised from their top-level keys without a generic parse, which would
/// turn unquoted versions such as `2.0` into numbers. The shared guard runs first: serde_yaml
/// is quadratic on deep flow nesting.
fn read_yaml(file: &str, path: &Path, text: &str, outcome: &mut FileOutcome) {
    if let Err(refused) = kabuto_yaml::check(file, text) {
        outcome.warn(file, format!("line {}: {}", refused.line, refused.problem));
        return;
    }
    let top_keys: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with([' ', '\t', '-', '#']))
        .filter_map(|l| l.split_once(':').map(|(k, _)| k.trim()))
        .collect();
    let has = |k: &str| top_keys.contains(&k);
    if has("id") && (has("affected") || has("modified") || has("withdrawn")) {
        match serde_yaml::from_str::<OsvRecord>(text) {
            Ok(record) => outcome.osv(file, record),
            Err(e) => outcome.warn(file, format!("OSV record: {e}")),
        }
    } else if has("gem") || has("engine") {
        outcome.feed_result(file, feeds::rubysec(text).map(|a| vec![a]));
    } else if has("branches") && has("reference") {
        let stem = path.file_stem().unwrap_or_default().to_string_lossy();
        outcome.feed_result(file, feeds::friends_of_php(text, &stem).map(|a| vec![a]));
    } else if has("packages") && has("distroversion") {
        outcome.feed_result(file, feeds::alpine_secdb(SecDbDocument::Yaml(text)));
    } else {
        outcome.warn(file, "unrecognised YAML document (not OSV or a known feed)");
    }
}
