//! Following the symlinks a directory walk met, inside the root only, to find package
//! files analyzers want under the link's name (see [`crate::aliases`]).

use std::ops::ControlFlow;

use kabuto_catalog::FileMeta;
use kabuto_types::{Warning, WarningCode};
use rustix::fs::{FileType, Mode, OFlags, fstat, openat};
use rustix::io::Errno;

use super::fd_walk::{self, Kind, Meta};
use super::in_root::{Follow, RootDir};
use super::{Candidate, Collected};
use crate::ScanOptions;
use crate::aliases::{MAX_LINK_HOPS, alias_budget, budget_warning, loop_warning};
use crate::collect::{Analyzers, Extent};

/// Resolves each symlink of `collected` inside the root: a link to a file adds the file
/// under the link's name, a link to a directory adds the files below it (links met there
/// are followed in turn, but a directory being listed is not entered again through a link
/// back into it). Each added file is read later like the others, by that name, following
/// links inside the root only.
pub(super) fn follow_symlinks(
    root: &RootDir,
    analyzers: &Analyzers,
    options: &ScanOptions,
    collected: &mut Collected,
) {
    if collected.symlinks_dropped > 0 {
        collected.warnings.push(Warning::new(
            WarningCode::SymlinkNotFollowed,
            collected.symlinks.last().cloned().unwrap_or_default(),
            format!(
                "{} more symbolic links after this one were not followed (at most {} are); \
                 package files behind them may be missed",
                collected.symlinks_dropped,
                collected.symlinks.len()
            ),
        ));
    }
    let budget = alias_budget(collected.entries);
    let mut follower = Follower {
        root,
        analyzers,
        options,
        left: budget,
        pending: std::mem::take(&mut collected.symlinks)
            .into_iter()
            .rev()
            .map(|link| (link, Vec::new()))
            .collect(),
    };
    while let Some((alias, listing)) = follower.pending.pop() {
        if follower.follow(collected, &alias, listing).is_break() {
            collected.warnings.push(budget_warning(alias, budget));
            return;
        }
    }
}

/// A directory's identity: device and inode.
type DirId = (u64, u64);

struct Follower<'a> {
    root: &'a RootDir,
    analyzers: &'a Analyzers,
    options: &'a ScanOptions,
    /// Entries that may still be listed below linked directories.
    left: usize,
    /// Names through links still to follow, each with the directories being listed under
    /// that name.
    pending: Vec<(String, Vec<DirId>)>,
}

impl Follower<'_> {
    /// Follows the link named `alias`; breaks when the budget runs out.
    fn follow(
        &mut self,
        collected: &mut Collected,
        alias: &str,
        listing: Vec<DirId>,
    ) -> ControlFlow<()> {
        let target = match self.root.open_at(alias, OFlags::PATH, Follow::InRoot) {
            Ok(target) => target,
            // Reported once, under the link's own path (nested names repeat it).
            Err(Errno::LOOP) if listing.is_empty() => {
                collected.warnings.push(loop_warning(alias.to_owned()));
                return ControlFlow::Continue(());
            }
            // Dangling (often a link to the host's files, which the root does not have).
            Err(_) => return ControlFlow::Continue(()),
        };
        let Ok(stat) = fstat(&target) else {
            return ControlFlow::Continue(());
        };
        let meta = Meta::of(&stat);
        match FileType::from_raw_mode(stat.st_mode) {
            FileType::RegularFile => {
                collected.add_alias(alias, meta, self.analyzers, self.options);
            }
            FileType::Directory if listing.len() >= MAX_LINK_HOPS => {
                collected.warnings.push(loop_warning(alias.to_owned()));
            }
            FileType::Directory if !listing.contains(&meta.id) => {
                let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC;
                if let Ok(dir) = openat(&target, ".", flags, Mode::empty()) {
                    let mut nested = listing;
                    nested.push(meta.id);
                    return self.list(collected, dir, alias, &nested);
                }
            }
            _ => {}
        }
        ControlFlow::Continue(())
    }

    /// Lists the directory `dir` under the name `alias`: files are added, links queued.
    fn list(
        &mut self,
        collected: &mut Collected,
        dir: std::os::fd::OwnedFd,
        alias: &str,
        listing: &[DirId],
    ) -> ControlFlow<()> {
        fd_walk::walk(dir, alias, &|_, _| false, &mut |item| {
            // Unreadable entries were reported under their real names.
            let Ok(found) = item else {
                return ControlFlow::Continue(());
            };
            let Some(left) = self.left.checked_sub(1) else {
                return ControlFlow::Break(());
            };
            self.left = left;
            match found.kind {
                Kind::File(meta) => {
                    collected.add_alias(found.path, meta, self.analyzers, self.options);
                }
                Kind::Symlink => self.pending.push((found.path.to_owned(), listing.to_vec())),
                Kind::Dir(_) => {}
            }
            ControlFlow::Continue(())
        })
    }
}

impl Collected {
    /// Adds the file `meta` under the name `path` through a symlink, for the analyzers that
    /// want it by that name and have not seen it yet.
    fn add_alias(&mut self, path: &str, meta: Meta, analyzers: &Analyzers, options: &ScanOptions) {
        let file_meta = FileMeta {
            size: meta.size,
            mode: meta.mode,
        };
        let wanting = analyzers.wanting(path, &file_meta);
        if wanting.is_empty() {
            return;
        }
        let unseen = self.seen.unseen(meta.id, wanting, Vec::new);
        if unseen.is_empty() {
            return;
        }
        self.push(
            Candidate {
                relative: path.to_owned(),
                analyzers: unseen,
                extent: Extent::Whole,
                scanners: Vec::new(),
                meta,
                follow: Follow::InRoot,
                head_len: 0,
            },
            analyzers,
            options,
        );
    }
}
