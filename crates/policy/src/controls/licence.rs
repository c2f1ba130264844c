//! Licence controls: blocked licences and the allowed-licence list, judged on SPDX
//! expressions (`MIT OR GPL-3.0-only` passes a GPL block).

use super::{Control, judged, required_list};
use crate::facts::Prepared;
use crate::matchers::FieldError;
use crate::raw::RawPolicy;
use crate::verdict::{ControlResult, Item};

#[derive(Debug, Clone)]
pub(crate) enum LicenceControl {
    /// Lower-case licence names.
    BlacklistedLicenses(Vec<String>),
    /// Lower-case licence names.
    WhitelistedLicenses(Vec<String>),
}

pub(super) fn blacklisted(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    if !raw.blacklisted_licenses_enabled {
        return Ok(None);
    }
    let list = required_list(
        "blacklisted_licenses_enabled",
        raw.blacklisted_licenses.take(),
    )?;
    Ok(Some(Control::Licence(LicenceControl::BlacklistedLicenses(
        lowercase(list),
    ))))
}

pub(super) fn whitelisted(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    if !raw.whitelisted_licenses_enabled {
        return Ok(None);
    }
    let list = required_list(
        "whitelisted_licenses_enabled",
        raw.whitelisted_licenses.take(),
    )?;
    Ok(Some(Control::Licence(LicenceControl::WhitelistedLicenses(
        lowercase(list),
    ))))
}

fn lowercase(list: Vec<String>) -> Vec<String> {
    list.into_iter()
        .map(|s| s.trim().to_ascii_lowercase())
        .collect()
}

impl LicenceControl {
    pub fn id(&self) -> &'static str {
        match self {
            LicenceControl::BlacklistedLicenses(_) => "blacklisted_licenses",
            LicenceControl::WhitelistedLicenses(_) => "whitelisted_licenses",
        }
    }

    pub fn evaluate(&self, prepared: &Prepared<'_>) -> ControlResult {
        let rule = match self {
            LicenceControl::BlacklistedLicenses(blocked) => LicenseRule::Blocked(blocked),
            LicenceControl::WhitelistedLicenses(allowed) => LicenseRule::Allowed(allowed),
        };
        let licenses = prepared.licenses();
        let acceptable: Vec<bool> = licenses
            .distinct
            .iter()
            .map(|(text, parsed, _)| rule.accepts_expression(text, parsed.as_ref()))
            .collect();
        let mut items = Vec::new();
        for indices in &licenses.per_package {
            for (_, item) in indices.iter().filter(|(i, _)| !acceptable[*i]) {
                items.push(Item::License(item.clone()));
            }
        }
        let what = match rule {
            LicenseRule::Blocked(_) => "blocked licences",
            LicenseRule::Allowed(_) => "licences outside the allowed list",
        };
        judged(self.id(), items, &format!("no {what}"), |n| {
            format!("{n} packages with {what}")
        })
    }
}

/// A licence list and how it is used.
#[derive(Clone, Copy)]
enum LicenseRule<'l> {
    Blocked(&'l [String]),
    Allowed(&'l [String]),
}

impl LicenseRule<'_> {
    /// Whether one licence, known by any of `names` (lower case), is acceptable.
    fn accepts(self, names: &[String]) -> bool {
        match self {
            LicenseRule::Blocked(list) => !names.iter().any(|n| list.contains(n)),
            LicenseRule::Allowed(list) => names.iter().any(|n| list.contains(n)),
        }
    }

    /// Whether a licence expression can be satisfied with acceptable licences only
    /// (`MIT OR GPL-3.0-only` is fine under a GPL block).
    fn accepts_expression(self, text: &str, parsed: Option<&spdx::Expression>) -> bool {
        let Some(expression) = parsed else {
            return self.accepts(&[text.trim().to_ascii_lowercase()]);
        };
        expression.evaluate(|req| {
            let names = match &req.license {
                spdx::LicenseItem::Spdx { id, or_later } => {
                    let name = id.name.to_ascii_lowercase();
                    if *or_later {
                        vec![format!("{name}+"), format!("{name}-or-later"), name]
                    } else {
                        vec![name]
                    }
                }
                spdx::LicenseItem::Other(other) => {
                    let name = other.lic_ref.to_ascii_lowercase();
                    vec![format!("licenseref-{name}"), name]
                }
            };
            self.accepts(&names)
        })
    }
}
