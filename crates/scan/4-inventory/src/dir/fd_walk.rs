//! Walking a directory tree through file descriptors: each directory is read from a
//! descriptor opened relative to its parent's with `O_NOFOLLOW`, and each entry is
//! examined with `fstatat(AT_SYMLINK_NOFOLLOW)` relative to it. Swapping a directory for a
//! symlink while the walk runs therefore cannot make it list or stat anything outside the
//! tree; symlinks are reported, never followed.

use std::io;
use std::ops::ControlFlow;
use std::os::fd::{BorrowedFd, OwnedFd};

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, Stat, openat, statat};

/// Directories open at once (one per level). Deeper nesting is reported, not walked: real
/// trees stay far below this, and the descriptor limit (often 1024) must not be reached.
pub(crate) const MAX_DEPTH: usize = 256;

/// What an entry is, with its metadata; other kinds (devices, FIFOs, sockets) are skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    File(Meta),
    Dir(Meta),
    /// Its target is not read here (nor its metadata: not needed).
    Symlink,
}

/// The metadata the scan uses, from `lstat`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Meta {
    pub size: u64,
    /// Permission bits (`0o7777` mask).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    /// Device and inode: which file this is, to check that a later open got the same one.
    pub id: (u64, u64),
}

impl Meta {
    pub fn of(stat: &Stat) -> Self {
        Meta {
            size: u64::try_from(stat.st_size).unwrap_or(0),
            mode: stat.st_mode & 0o7777,
            uid: stat.st_uid,
            gid: stat.st_gid,
            id: (stat.st_dev, stat.st_ino),
        }
    }
}

/// One entry found by [`walk`].
#[derive(Debug)]
pub(crate) struct Found<'a> {
    /// `prefix/relative/path` of the entry.
    pub path: &'a str,
    pub kind: Kind,
}

/// An entry of the walk, or the path that could not be read and why.
pub(crate) type Visited<'a> = Result<Found<'a>, (&'a str, io::Error)>;

/// Walks the directory `top` depth-first, naming entries `prefix/...`, and calls `visit`
/// with each entry or with the error that kept a path from being read. Directories for
/// which `skip_dir(path, depth)` is true are left out entirely. Names that are not
/// UTF-8 are skipped (the catalogue matches paths as text). `visit` can stop the walk.
pub(crate) fn walk(
    top: OwnedFd,
    prefix: &str,
    skip_dir: &dyn Fn(&str, usize) -> bool,
    visit: &mut dyn FnMut(Visited<'_>) -> ControlFlow<()>,
) -> ControlFlow<()> {
    let mut path = prefix.to_owned();
    let mut stack = match Dir::new(top) {
        Ok(dir) => vec![(dir, path.len())],
        Err(e) => return visit(Err((&path, e.into()))),
    };
    loop {
        let depth = stack.len();
        let Some((dir, dir_len)) = stack.last_mut() else {
            return ControlFlow::Continue(());
        };
        let dir_len = *dir_len;
        let entry = match dir.read() {
            None => {
                stack.pop();
                continue;
            }
            Some(Err(e)) => {
                stack.pop();
                path.truncate(dir_len);
                visit(Err((&path, e.into())))?;
                continue;
            }
            Some(Ok(entry)) => entry,
        };
        let Ok(name) = std::str::from_utf8(entry.file_name().to_bytes()) else {
            continue;
        };
        if name == "." || name == ".." {
            continue;
        }
        path.truncate(dir_len);
        if !path.is_empty() {
            path.push('/');
        }
        path.push_str(name);
        let parent = match dir.fd() {
            Ok(fd) => fd,
            Err(e) => return visit(Err((&path, e.into()))),
        };
        let stat = match entry.file_type() {
            FileType::Symlink => None,
            FileType::RegularFile | FileType::Directory | FileType::Unknown => {
                match statat(parent, name, AtFlags::SYMLINK_NOFOLLOW) {
                    Ok(stat) => Some(stat),
                    Err(e) => {
                        visit(Err((&path, e.into())))?;
                        continue;
                    }
                }
            }
            _ => continue,
        };
        // `lstat` is the truth: the type in the directory entry may be stale.
        let kind = match stat
            .as_ref()
            .map(|s| (FileType::from_raw_mode(s.st_mode), s))
        {
            None | Some((FileType::Symlink, _)) => Kind::Symlink,
            Some((FileType::RegularFile, stat)) => Kind::File(Meta::of(stat)),
            Some((FileType::Directory, stat)) => Kind::Dir(Meta::of(stat)),
            Some(_) => continue,
        };
        let is_dir = matches!(kind, Kind::Dir(_));
        if is_dir && skip_dir(&path, depth) {
            continue;
        }
        let child = is_dir.then(|| open_child(parent, name, depth));
        visit(Ok(Found { path: &path, kind }))?;
        match child {
            Some(Ok(child)) => stack.push((child, path.len())),
            Some(Err(e)) => visit(Err((&path, e)))?,
            None => {}
        }
    }
}

/// Opens the subdirectory `name` of `parent` for listing, without following a link.
fn open_child(parent: BorrowedFd<'_>, name: &str, depth: usize) -> io::Result<Dir> {
    if depth >= MAX_DEPTH {
        return Err(io::Error::other(format!(
            "nested more than {MAX_DEPTH} directories deep; not scanned"
        )));
    }
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    Ok(openat(parent, name, flags, Mode::empty()).and_then(Dir::new)?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test fixtures
mod tests {
    use super::*;

    /// ("path kind" of every entry, sorted; (path, error) of every failure).
    fn walk_all(root: &std::path::Path) -> (Vec<String>, Vec<(String, String)>) {
        let flags = OFlags::RDONLY | OFlags::DIRECTORY;
        let top = rustix::fs::open(root, flags, Mode::empty()).unwrap();
        let (mut found, mut errors) = (Vec::new(), Vec::new());
        let skip = |path: &str, _| path.ends_with("skipped");
        let _ = walk(top, "top", &skip, &mut |item| {
            match item {
                Ok(Found { path, kind }) => found.push(match kind {
                    Kind::File(_) => format!("{path} file"),
                    Kind::Dir(_) => format!("{path} dir"),
                    Kind::Symlink => format!("{path} link"),
                }),
                Err((path, e)) => errors.push((path.to_owned(), e.to_string())),
            }
            ControlFlow::Continue(())
        });
        found.sort();
        (found, errors)
    }

    #[test]
    fn entries_are_named_below_the_prefix_and_links_not_entered() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
        std::fs::create_dir_all(dir.path().join("skipped/x")).unwrap();
        std::fs::write(dir.path().join("a/b/f"), "f").unwrap();
        std::os::unix::fs::symlink("/", dir.path().join("a/root")).unwrap();
        let (found, errors) = walk_all(dir.path());
        assert_eq!(
            found,
            [
                "top/a dir",
                "top/a/b dir",
                "top/a/b/f file",
                "top/a/root link"
            ]
        );
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn nesting_deeper_than_the_limit_is_reported_once_not_walked() {
        let dir = tempfile::tempdir().unwrap();
        let deep = vec!["d"; MAX_DEPTH + 20].join("/");
        std::fs::create_dir_all(dir.path().join(&deep)).unwrap();
        let (found, errors) = walk_all(dir.path());
        assert_eq!(found.len(), MAX_DEPTH);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].1.contains("nested more than 256"), "{errors:?}");
    }
}
