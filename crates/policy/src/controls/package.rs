//! Package controls: blocked packages and the allowed-package list.

use std::cmp::Ordering;

use kabuto_types::Package;
use kabuto_version::{Scheme, compare};

use super::{Control, judged, required_list};
use crate::facts::Prepared;
use crate::matchers::{FieldError, PackageMatcher, Pattern};
use crate::raw::RawPolicy;
use crate::verdict::{ControlResult, Item};

#[derive(Debug, Clone)]
pub(crate) enum PackageControl {
    PackagesBlackList(Vec<PackageMatcher>),
    PackagesWhiteList(Vec<PackageMatcher>),
}

pub(super) fn black_list(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    if !raw.packages_black_list_enabled {
        return Ok(None);
    }
    let entries = required_list(
        "packages_black_list_enabled",
        raw.packages_black_list.take(),
    )?;
    Ok(Some(Control::Package(PackageControl::PackagesBlackList(
        entries,
    ))))
}

pub(super) fn white_list(raw: &mut RawPolicy) -> Result<Option<Control>, FieldError> {
    if !raw.packages_white_list_enabled {
        return Ok(None);
    }
    let entries = required_list(
        "packages_white_list_enabled",
        raw.packages_white_list.take(),
    )?;
    Ok(Some(Control::Package(PackageControl::PackagesWhiteList(
        entries,
    ))))
}

impl PackageControl {
    pub fn id(&self) -> &'static str {
        match self {
            PackageControl::PackagesBlackList(_) => "packages_black_list",
            PackageControl::PackagesWhiteList(_) => "packages_white_list",
        }
    }

    pub fn evaluate(&self, prepared: &Prepared<'_>) -> ControlResult {
        match self {
            PackageControl::PackagesBlackList(entries) => {
                let items = package_items(prepared, packages_matching(prepared, entries), true);
                judged(self.id(), items, "no blocked package", |n| {
                    format!("{n} blocked packages")
                })
            }
            PackageControl::PackagesWhiteList(entries) => {
                let items = package_items(prepared, packages_matching(prepared, entries), false);
                judged(
                    self.id(),
                    items,
                    "every package is on the allowed list",
                    |n| format!("{n} packages are not on the allowed list"),
                )
            }
        }
    }
}

/// Indices of the packages whose name `pattern` may match: a range of the sorted name
/// index for plain names and `prefix*`, every package otherwise.
fn package_candidates(prepared: &Prepared<'_>, pattern: &Pattern) -> Vec<usize> {
    let packages = &prepared.input.inventory.packages;
    let Some((prefix, exact)) = pattern.fixed_prefix() else {
        return (0..packages.len()).collect();
    };
    let by_name = prepared.packages_by_name();
    let start = by_name.partition_point(|(name, _)| *name < prefix);
    by_name[start..]
        .iter()
        .take_while(|(name, _)| {
            if exact {
                *name == prefix
            } else {
                name.starts_with(prefix)
            }
        })
        .map(|(_, i)| *i)
        .collect()
}

/// One flag per package: whether any entry matches it.
fn packages_matching(prepared: &Prepared<'_>, entries: &[PackageMatcher]) -> Vec<bool> {
    let packages = &prepared.input.inventory.packages;
    let mut matched = vec![false; packages.len()];
    for entry in entries {
        for index in package_candidates(prepared, &entry.name) {
            if !matched[index] && package_matches(entry, &packages[index]) {
                matched[index] = true;
            }
        }
    }
    matched
}

/// Items for the packages whose match flag equals `offending_when`.
fn package_items(prepared: &Prepared<'_>, matched: Vec<bool>, offending_when: bool) -> Vec<Item> {
    matched
        .into_iter()
        .enumerate()
        .filter(|(_, m)| *m == offending_when)
        .map(|(index, _)| Item::Package(prepared.package_item(index)))
        .collect()
}

fn package_matches(entry: &PackageMatcher, package: &Package) -> bool {
    if entry.ecosystem.is_some_and(|e| e != package.ecosystem)
        || !entry.name.is_match(&package.name)
    {
        return false;
    }
    if let Some(arch) = &entry.arch
        && package.arch.as_deref() != Some(arch.as_str())
    {
        return false;
    }
    if let Some(license) = &entry.license
        && !package
            .licenses
            .iter()
            .any(|l| l.eq_ignore_ascii_case(license))
    {
        return false;
    }
    if let Some(version) = &entry.version {
        let scheme = Scheme::for_ecosystem(package.ecosystem);
        let equal = version == &package.version
            || compare(scheme, version, &package.version).is_ok_and(|o| o == Ordering::Equal);
        if !equal {
            return false;
        }
    }
    // An installed version the scheme cannot read is outside every range.
    entry
        .range
        .as_ref()
        .is_none_or(|range| range.contains(&package.version).unwrap_or(false))
}
