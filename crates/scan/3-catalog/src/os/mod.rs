//! Operating-system analyzers: release files and package databases (dpkg, apk, rpm).

pub mod apk;
mod database;
pub mod dpkg;
pub mod dpkg_copyright;
mod qualify;
pub mod release;
pub mod rpm;

use crate::Analyzer;

pub(crate) use database::DatabasePackages;

pub use qualify::qualify_os_packages;
pub use release::pick_os;

/// Every os analyzer, in the order they are listed to users.
pub fn analyzers() -> Vec<Box<dyn Analyzer>> {
    vec![
        Box::new(release::OsReleaseAnalyzer),
        Box::new(release::ReleaseFileAnalyzer),
        Box::new(dpkg::DpkgAnalyzer),
        Box::new(dpkg_copyright::DpkgCopyrightAnalyzer),
        Box::new(apk::ApkAnalyzer),
        Box::new(rpm::RpmAnalyzer),
        Box::new(rpm::manifest::RpmManifestAnalyzer),
    ]
}

/// A field of a text database as text (invalid UTF-8 replaced, as the rest of the file is
/// never decoded).
pub(crate) fn field_text(field: Option<&[u8]>) -> Option<std::borrow::Cow<'_, str>> {
    field.map(String::from_utf8_lossy)
}
