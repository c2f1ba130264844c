//! The controls a policy can switch on, one module per family: what each control reads
//! from the policy file (its compile step) and how it judges a scan (its evaluation).
//!
//! Adding a control: its field in [`crate::raw::RawPolicy`], then in its family's file a
//! variant, its id, a compile step and its evaluation, and the step's place in
//! [`COMPILE_ORDER`] (the order verdicts list controls in).

mod content;
mod image_config;
mod licence;
mod package;
mod vulnerability;

use crate::Needs;
use crate::facts::Prepared;
use crate::matchers::FieldError;
use crate::raw::RawPolicy;
use crate::verdict::{ControlOutcome, ControlResult, Item};

use content::ContentControl;
use image_config::ImageConfigControl;
use licence::LicenceControl;
use package::PackageControl;
pub(crate) use vulnerability::{VulnExceptions, VulnerabilityControl};

#[derive(Debug, Clone)]
pub(crate) enum Control {
    Vulnerability(VulnerabilityControl),
    Package(PackageControl),
    Licence(LicenceControl),
    ImageConfig(ImageConfigControl),
    Content(ContentControl),
}

/// Reads one control from the policy; `None` when the policy does not switch it on.
type CompileStep = fn(&mut RawPolicy) -> Result<Option<Control>, FieldError>;

/// Every control's compile step, in the order verdicts list the controls.
const COMPILE_ORDER: [CompileStep; 21] = [
    vulnerability::severity,
    vulnerability::maximum_score,
    vulnerability::epss_score,
    vulnerability::known_exploited,
    vulnerability::cves_black_list,
    package::black_list,
    package::white_list,
    licence::blacklisted,
    licence::whitelisted,
    content::malware,
    content::sensitive_data,
    image_config::non_root_user,
    content::blacklist_permissions,
    image_config::required_labels,
    image_config::forbidden_labels,
    image_config::trusted_base_images,
    image_config::forbidden_base_images,
    image_config::allowed_registries,
    image_config::image_max_age,
    image_config::max_image_size,
    content::misconfiguration_checks,
];

/// The controls `raw` switches on, in evaluation order.
pub(crate) fn compile(raw: &mut RawPolicy) -> Result<Vec<Control>, FieldError> {
    let mut controls = Vec::new();
    for step in COMPILE_ORDER {
        controls.extend(step(raw)?);
    }
    Ok(controls)
}

impl Control {
    /// The stable control id: the policy field that configures it.
    pub fn id(&self) -> &'static str {
        match self {
            Control::Vulnerability(c) => c.id(),
            Control::Package(c) => c.id(),
            Control::Licence(c) => c.id(),
            Control::ImageConfig(c) => c.id(),
            Control::Content(c) => c.id(),
        }
    }

    /// Marks the scan results this control reads.
    pub fn add_needs(&self, needs: &mut Needs) {
        match self {
            Control::Vulnerability(_) => needs.vulnerabilities = true,
            Control::Content(c) => c.add_needs(needs),
            Control::Package(_) | Control::Licence(_) | Control::ImageConfig(_) => {}
        }
    }

    pub fn evaluate(&self, exceptions: &VulnExceptions, prepared: &Prepared<'_>) -> ControlResult {
        match self {
            Control::Vulnerability(c) => c.evaluate(exceptions, prepared),
            Control::Package(c) => c.evaluate(prepared),
            Control::Licence(c) => c.evaluate(prepared),
            Control::ImageConfig(c) => c.evaluate(prepared),
            Control::Content(c) => c.evaluate(prepared),
        }
    }
}

fn result(
    id: &'static str,
    outcome: ControlOutcome,
    message: String,
    items: Vec<Item>,
) -> ControlResult {
    ControlResult {
        control: id,
        outcome,
        message,
        items,
    }
}

/// A control whose input the scan did not provide: it cannot pass.
fn unknown(id: &'static str, why: String) -> ControlResult {
    result(id, ControlOutcome::Unknown, why, Vec::new())
}

fn not_scanned(id: &'static str, what: &str) -> ControlResult {
    unknown(
        id,
        format!("the scan did not collect {what}; run it with that scanner enabled"),
    )
}

/// Pass when `items` is empty, else fail with `message`.
fn judged(
    id: &'static str,
    items: Vec<Item>,
    pass: &str,
    fail: impl FnOnce(usize) -> String,
) -> ControlResult {
    if items.is_empty() {
        result(id, ControlOutcome::Pass, pass.to_owned(), items)
    } else {
        let message = fail(items.len());
        result(id, ControlOutcome::Fail, message, items)
    }
}

/// The list behind an `X_enabled: true` switch: it must be present and non-empty.
fn required_list<T>(enabled_field: &str, list: Option<Vec<T>>) -> Result<Vec<T>, FieldError> {
    match list {
        Some(items) if !items.is_empty() => Ok(items),
        _ => {
            let list_field = enabled_field.trim_end_matches("_enabled");
            Err(FieldError::new(
                enabled_field,
                format!("is true but `{list_field}` is empty or missing"),
            ))
        }
    }
}

fn required_value<T>(
    enabled_field: &str,
    value_field: &str,
    value: Option<T>,
) -> Result<T, FieldError> {
    value.ok_or_else(|| {
        FieldError::new(
            enabled_field,
            format!("is true but `{value_field}` is empty or missing"),
        )
    })
}
