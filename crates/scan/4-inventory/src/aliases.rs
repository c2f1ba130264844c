//! Package files reached under another name through a symlink (an image that moves its
//! database with `var/lib/dpkg -> ../../opt/dpkg`): the rules directory and image scans
//! share. Links resolve inside the artifact only, as if its root were `/`.
//!
//! Every symlink is followed: a link to a file gives that file a second name, a link to a
//! directory gives each file below it one. Analyzers are asked about each such name, but
//! only those that did not already see the file (under its real name or an earlier alias)
//! get it, so the usual aliases (`lib -> usr/lib`, `etc/os-release -> ../usr/lib/os-release`)
//! add nothing and nothing is reported twice.

use std::collections::HashMap;
use std::hash::Hash;

use kabuto_types::{Warning, WarningCode};

/// Links followed in one name before giving up, as Linux's `MAXSYMLINKS`.
pub(crate) const MAX_LINK_HOPS: usize = 40;

/// How many entries may be listed below symlinked directories: twice the artifact's own
/// entries plus a floor. Merged-`/usr` links (`bin`, `lib`, `sbin`) list most of `/usr`
/// once more; a hostile farm of links to big directories stops here, so the work stays
/// linear in the artifact.
pub(crate) fn alias_budget(entries: usize) -> usize {
    entries.saturating_mul(2).saturating_add(100_000)
}

/// Which analyzers have seen each file, by a key naming the file itself (device and
/// inode, or the real path in an image).
pub(crate) struct SeenWants<K> {
    by_file: HashMap<K, Vec<usize>>,
}

impl<K> Default for SeenWants<K> {
    fn default() -> Self {
        SeenWants {
            by_file: HashMap::new(),
        }
    }
}

impl<K: Eq + Hash> SeenWants<K> {
    /// The file is analyzed by `analyzers` under its real name.
    pub fn record(&mut self, file: K, analyzers: &[usize]) {
        self.by_file.entry(file).or_default().extend(analyzers);
    }

    /// Of the analyzers `wanting` the file under an alias, those that have not seen it yet
    /// (now counted as having seen it). `real` lists the analyzers wanting its real name,
    /// for files not [`recorded`](SeenWants::record).
    pub fn unseen(
        &mut self,
        file: K,
        wanting: Vec<usize>,
        real: impl FnOnce() -> Vec<usize>,
    ) -> Vec<usize> {
        let seen = self.by_file.entry(file).or_insert_with(real);
        let unseen: Vec<usize> = wanting.into_iter().filter(|a| !seen.contains(a)).collect();
        seen.extend(&unseen);
        unseen
    }
}

/// A symlink that cannot be resolved because it loops (or nests links too deep).
pub(crate) fn loop_warning(location: String) -> Warning {
    Warning::new(
        WarningCode::SymlinkNotFollowed,
        location,
        format!("symbolic link loop (more than {MAX_LINK_HOPS} links to follow); not followed"),
    )
}

/// Listing below symlinked directories stopped at the link at `location`.
pub(crate) fn budget_warning(location: String, budget: usize) -> Warning {
    Warning::new(
        WarningCode::SymlinkNotFollowed,
        location,
        format!(
            "stopped following symbolic links after listing {budget} entries below linked \
             directories; package files behind this and later links may be missed"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alias_adds_only_analyzers_that_have_not_seen_the_file() {
        let mut seen = SeenWants::default();
        seen.record("usr/lib/os-release", &[1]);
        assert_eq!(
            seen.unseen("usr/lib/os-release", vec![1], Vec::new),
            [] as [usize; 0]
        );
        assert_eq!(seen.unseen("usr/lib/os-release", vec![1, 2], Vec::new), [2]);
        assert_eq!(
            seen.unseen("usr/lib/os-release", vec![2], Vec::new),
            [] as [usize; 0]
        );
        // Not recorded: what its real name wants counts as seen.
        assert_eq!(seen.unseen("opt/dpkg/status", vec![0], || vec![3]), [0]);
        assert_eq!(
            seen.unseen("opt/dpkg/status", vec![0, 3], Vec::new),
            [] as [usize; 0]
        );
    }
}
