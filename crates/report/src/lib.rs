//! Renders what a scan found for the people and pipelines that read it.
//!
//! One entry point, [`render`] (or [`render_report`]), writes an [`Inventory`] and what was
//! found in it in one of seven [`Format`]s:
//!
//! - [`Format::Table`]: a human table per target (the OS, then each language install root or
//!   lockfile), then vulnerabilities, secrets, misconfigurations and policy verdicts, see
//!   [`table`].
//! - [`Format::Json`]: Kabuto's own versioned machine-readable envelope, see [`json`].
//! - [`Format::CycloneDx`]: CycloneDX 1.6 JSON with `vulnerabilities`, see [`cyclonedx`].
//! - [`Format::SpdxJson`]: SPDX 2.3 JSON (inventory only), see [`spdx`].
//! - [`Format::Sarif`]: SARIF 2.1.0 for code-scanning dashboards, see [`sarif`].
//! - [`Format::Junit`]: JUnit XML for CI test tabs, see [`junit`].
//! - [`Format::Html`]: one self-contained HTML page, see [`html`].
//!
//! Everything that would make output differ between two runs on the same inventory (the
//! clock, the random document id) comes from [`RenderOptions`], so tests pin them and golden
//! files stay stable. Packages are always written in the inventory's stable sort order.
//!
//! [`Report`] is the unit being rendered: the inventory, and optionally vulnerability, secret
//! and misconfiguration findings, acknowledgements of findings, and policy verdicts (as
//! [`PolicySummary`] views the caller fills from the policy engine). A finding section that
//! was not attached (the scanner did not run) is left out of every format; an attached but
//! empty one is shown as "none found".

mod artifact;
pub mod cyclonedx;
mod findings;
pub mod html;
pub mod json;
pub mod junit;
mod license;
pub mod sarif;
pub mod spdx;
pub mod table;
mod target;

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

// The decisions and policy outcomes reports show are domain types; re-exported so callers
// of the renderers need one import.
pub use kabuto_types::{
    AckState, Acknowledgement, FailedControl, PolicyOutcome, PolicySummary, VexJustification,
};
use kabuto_types::{Finding, Inventory, MalwareFinding, MisconfigFinding, SecretFinding};
pub use time::OffsetDateTime;
pub use uuid::Uuid;

/// The tool name written into every document.
pub const TOOL_NAME: &str = "kabuto";
/// The tool version written into every document.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// An output format, named as on the command line (`--format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    Table,
    Json,
    CycloneDx,
    SpdxJson,
    Sarif,
    Junit,
    Html,
}

impl Format {
    pub const ALL: [Format; 7] = [
        Format::Table,
        Format::Json,
        Format::CycloneDx,
        Format::SpdxJson,
        Format::Sarif,
        Format::Junit,
        Format::Html,
    ];

    /// The command-line name: `table`, `json`, `cyclonedx`, `spdx-json`, `sarif`, `junit`,
    /// `html`.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Json => "json",
            Format::CycloneDx => "cyclonedx",
            Format::SpdxJson => "spdx-json",
            Format::Sarif => "sarif",
            Format::Junit => "junit",
            Format::Html => "html",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `--format` value that names no [`Format`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown report format `{0}` (expected one of: table, json, cyclonedx, spdx-json, sarif, junit, html)"
)]
pub struct UnknownFormat(pub String);

impl FromStr for Format {
    type Err = UnknownFormat;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str() == s)
            .ok_or_else(|| UnknownFormat(s.to_owned()))
    }
}

/// Everything outside the inventory that shapes the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderOptions {
    /// The document's creation time (CycloneDX `metadata.timestamp`, SPDX `created`, JSON
    /// `created`). Written in UTC with whole seconds.
    pub now: OffsetDateTime,
    /// The document's unique id: the CycloneDX `serialNumber` and the suffix of the SPDX
    /// `documentNamespace`.
    pub document_id: Uuid,
    /// Terminal width for [`Format::Table`]; `None` never truncates.
    pub table_width: Option<usize>,
}

impl RenderOptions {
    /// The current time and a fresh random (v4) document id; no width limit.
    pub fn new() -> Self {
        RenderOptions {
            now: OffsetDateTime::now_utc(),
            document_id: Uuid::new_v4(),
            table_width: None,
        }
    }

    /// Fixed time and id, for reproducible output (tests, `SOURCE_DATE_EPOCH`-style builds).
    pub fn fixed(now: OffsetDateTime, document_id: Uuid) -> Self {
        RenderOptions {
            now,
            document_id,
            table_width: None,
        }
    }

    pub fn with_table_width(mut self, width: Option<usize>) -> Self {
        self.table_width = width;
        self
    }

    /// `now` as `YYYY-MM-DDThh:mm:ssZ`, the form both SBOM standards accept.
    pub(crate) fn timestamp(&self) -> String {
        utc_timestamp(self.now)
    }
}

/// `time` as `YYYY-MM-DDThh:mm:ssZ` in UTC, whole seconds.
pub(crate) fn utc_timestamp(time: OffsetDateTime) -> String {
    let t = time.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// What one report covers. Built with [`Report::new`]; findings attach with builder
/// methods, so code that builds a `Report` keeps compiling as sections are added.
///
/// ```
/// # use kabuto_report::{Format, Report, RenderOptions, render_report};
/// # let inventory = kabuto_types::Inventory {
/// #     artifact: kabuto_types::Artifact { name: "x".into(), kind: kabuto_types::ArtifactKind::Filesystem },
/// #     image: None, os: None, packages: vec![], warnings: vec![],
/// # };
/// let report = Report::new(&inventory)
///     .with_vulnerabilities(&[])
///     .with_secrets(&[])
///     .list_packages(false);
/// let mut out = Vec::new();
/// render_report(Format::Table, &report, &RenderOptions::new(), &mut out).unwrap();
/// ```
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Report<'a> {
    pub inventory: &'a Inventory,
    /// `None`: vulnerability matching did not run (no section); `Some(&[])`: none found.
    pub vulnerabilities: Option<&'a [Finding]>,
    pub secrets: Option<&'a [SecretFinding]>,
    pub misconfigs: Option<&'a [MisconfigFinding]>,
    pub malware: Option<&'a [MalwareFinding]>,
    pub policies: &'a [PolicySummary],
    /// Decisions about findings (accepted risk, VEX statements); the findings stay in the
    /// report, marked.
    pub acknowledgements: &'a [Acknowledgement],
    /// Whether the table and HTML list every package (`true` by default; a `scan` that only
    /// wants findings sets it to `false`). Machine formats always carry the inventory.
    pub list_packages: bool,
    /// Whether the table prints, after each vulnerability table, why each finding was
    /// reported (advisory, affected range, the comparison that matched).
    pub explain: bool,
    pub order: VulnerabilityOrder,
}

/// How vulnerabilities are listed (`--sort-by`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VulnerabilityOrder {
    /// By package, then most severe first (as Trivy lists them).
    #[default]
    Package,
    /// Most urgent first: in CISA's KEV catalog, then the highest EPSS score, then the
    /// highest CVSS score, then severity.
    Risk,
}

impl<'a> Report<'a> {
    pub fn new(inventory: &'a Inventory) -> Self {
        Report {
            inventory,
            vulnerabilities: None,
            secrets: None,
            misconfigs: None,
            malware: None,
            policies: &[],
            acknowledgements: &[],
            list_packages: true,
            explain: false,
            order: VulnerabilityOrder::Package,
        }
    }

    pub fn with_vulnerabilities(mut self, findings: &'a [Finding]) -> Self {
        self.vulnerabilities = Some(findings);
        self
    }

    pub fn with_secrets(mut self, findings: &'a [SecretFinding]) -> Self {
        self.secrets = Some(findings);
        self
    }

    pub fn with_malware(mut self, findings: &'a [MalwareFinding]) -> Self {
        self.malware = Some(findings);
        self
    }

    pub fn with_misconfigs(mut self, findings: &'a [MisconfigFinding]) -> Self {
        self.misconfigs = Some(findings);
        self
    }

    pub fn with_policies(mut self, policies: &'a [PolicySummary]) -> Self {
        self.policies = policies;
        self
    }

    pub fn with_acknowledgements(mut self, acknowledgements: &'a [Acknowledgement]) -> Self {
        self.acknowledgements = acknowledgements;
        self
    }

    pub fn list_packages(mut self, list: bool) -> Self {
        self.list_packages = list;
        self
    }

    pub fn explain(mut self, explain: bool) -> Self {
        self.explain = explain;
        self
    }

    pub fn order(mut self, order: VulnerabilityOrder) -> Self {
        self.order = order;
        self
    }

    /// The acknowledgement that covers `finding`, if any: the first whose vulnerability is
    /// the finding's id or one of its aliases and whose purl (when given) is the package's.
    pub fn acknowledgement_for(&self, finding: &Finding) -> Option<&'a Acknowledgement> {
        self.acknowledgements
            .iter()
            .find(|ack| findings::covers(ack, finding))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("could not write the {format} report: {source}")]
    Write {
        format: Format,
        #[source]
        source: io::Error,
    },
    #[error("could not encode the {format} report as JSON: {source}")]
    Encode {
        format: Format,
        #[source]
        source: serde_json::Error,
    },
}

/// Writes `inventory` as `format` to `out`.
pub fn render(
    format: Format,
    inventory: &Inventory,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    render_report(format, &Report::new(inventory), options, out)
}

/// Writes `report` as `format` to `out`.
pub fn render_report(
    format: Format,
    report: &Report<'_>,
    options: &RenderOptions,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    // Reports promise a stable order whatever order the caller's inputs are in. A scan's
    // inventory is sorted already, and copying 100,000 packages is not free.
    let sorted_copy;
    let inventory = if report.inventory.is_sorted() {
        report.inventory
    } else {
        let mut copy = report.inventory.clone();
        copy.sort();
        sorted_copy = copy;
        &sorted_copy
    };
    let vulnerabilities = report
        .vulnerabilities
        .map(|v| findings::sorted_vulnerabilities(v, report.order));
    let secrets = report.secrets.map(findings::sorted_secrets);
    let misconfigs = report.misconfigs.map(findings::sorted_misconfigs);
    let malware = report.malware.map(|m| {
        let mut sorted = m.to_vec();
        sorted.sort_by(|a, b| (&a.path, &a.rule).cmp(&(&b.path, &b.rule)));
        sorted
    });
    let sorted = Report {
        inventory,
        vulnerabilities: vulnerabilities.as_deref(),
        secrets: secrets.as_deref(),
        misconfigs: misconfigs.as_deref(),
        malware: malware.as_deref(),
        ..*report
    };
    let write_error = |source| ReportError::Write { format, source };
    match format {
        Format::Table => table::write(&sorted, options, out).map_err(write_error),
        Format::Json => write_json(format, &json::document(&sorted, options), out),
        Format::CycloneDx => write_json(format, &cyclonedx::document(&sorted, options), out),
        Format::SpdxJson => write_json(format, &spdx::document(&sorted, options), out),
        Format::Sarif => write_json(format, &sarif::document(&sorted), out),
        Format::Junit => junit::write(&sorted, options, out).map_err(write_error),
        Format::Html => html::write(&sorted, options, out).map_err(write_error),
    }
}

fn write_json(
    format: Format,
    document: &impl serde::Serialize,
    out: &mut dyn Write,
) -> Result<(), ReportError> {
    let mut out = out;
    let mut serializer =
        serde_json::Serializer::with_formatter(&mut out, TerminalSafeJson::default());
    serde::Serialize::serialize(document, &mut serializer).map_err(|source| {
        if source.is_io() {
            ReportError::Write {
                format,
                source: source.into(),
            }
        } else {
            ReportError::Encode { format, source }
        }
    })?;
    out.write_all(b"\n")
        .map_err(|source| ReportError::Write { format, source })
}

/// serde_json's pretty output, with the characters it leaves raw in strings but a terminal
/// would act on (DEL, C1 controls, bidi overrides; it escapes C0 itself) written as `\uXXXX`:
/// the same JSON to a reader, inert text on a terminal.
#[derive(Default)]
struct TerminalSafeJson(serde_json::ser::PrettyFormatter<'static>);

impl serde_json::ser::Formatter for TerminalSafeJson {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if kabuto_types::text::is_unsafe_for_terminal(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                // All of them are in the Basic Multilingual Plane: one `\u` escape each.
                write!(writer, "\\u{:04x}", u32::from(c))?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_array(writer)
    }
    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array(writer)
    }
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(writer, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_array_value(writer)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object(writer)
    }
    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object(writer)
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(writer, first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.begin_object_value(writer)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.0.end_object_value(writer)
    }
}

/// The first 12 hex digits of a digest, as `docker images` shows image ids.
pub(crate) fn short_digest(digest: &kabuto_types::Digest) -> &str {
    let hex = digest.hex();
    hex.get(..12).unwrap_or(hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_carry_no_character_a_terminal_acts_on() {
        let text = "a\u{1b}[31m\u{7f}\u{9b}\u{202e}é✓\n";
        let mut out = Vec::new();
        write_json(Format::Json, &serde_json::json!({ text: [text] }), &mut out).unwrap();
        let json = String::from_utf8(out).unwrap();
        let escaped = r#""a\u001b[31m\u007f\u009b\u202eé✓\n""#;
        assert_eq!(
            json,
            format!("{{\n  {escaped}: [\n    {escaped}\n  ]\n}}\n")
        );
        let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
        assert_eq!(parsed[text][0], text);
    }

    #[test]
    fn format_names_round_trip_and_unknown_is_rejected() {
        for format in Format::ALL {
            assert_eq!(format.as_str().parse::<Format>(), Ok(format));
        }
        let err = "spdx".parse::<Format>().unwrap_err();
        assert!(err.to_string().contains("`spdx`"), "{err}");
        assert!("CycloneDX".parse::<Format>().is_err());
    }

    #[test]
    fn timestamp_is_utc_whole_seconds() {
        let now = time::macros::datetime!(2024-02-29 23:30:15.987 -02:00);
        let options = RenderOptions::fixed(now, Uuid::nil());
        assert_eq!(options.timestamp(), "2024-03-01T01:30:15Z");
    }
}
