//! Opening paths of a scanned directory tree without ever leaving it.
//!
//! Every path is opened relative to the root's file descriptor, never as a path string:
//! with `openat2(RESOLVE_IN_ROOT)` where the kernel has it (Linux 5.6+), otherwise one
//! `O_NOFOLLOW` component at a time with symlinks and `..` resolved here. Either way an
//! absolute link target or a `..` stops at the root, as if the root were `/`, so a link
//! (or a link swapped in while the scan runs) cannot lead to the host's files.

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::Path;

use rustix::fs::{FileType, Mode, OFlags, ResolveFlags, fstat, openat, openat2, readlinkat};
use rustix::io::Errno;

use crate::aliases::MAX_LINK_HOPS;

/// Whether opening a path follows symlinks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Follow {
    /// A symlink in any component fails the open (`ELOOP`): for paths the walk saw as
    /// real entries, so a swap between the walk and the read is caught.
    Never,
    /// Symlinks are followed, resolved against the root: for other names of a file.
    InRoot,
}

/// How paths are resolved below the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Resolver {
    /// `openat2` with `RESOLVE_IN_ROOT`: the kernel does it, in one call.
    Kernel,
    /// One `O_NOFOLLOW` open per component, for kernels (or seccomp filters) without
    /// `openat2`.
    Components,
}

/// `RESOLVE_IN_ROOT` fails with `EAGAIN` when a rename raced with a `..` lookup.
const RACE_RETRIES: usize = 8;

/// The open root directory of a scan.
#[derive(Debug)]
pub(crate) struct RootDir {
    fd: OwnedFd,
    resolver: Resolver,
}

impl RootDir {
    /// Opens `path` (following links in `path` itself: the user chose it) and picks the
    /// resolver the kernel supports.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        let probe = openat2(
            &fd,
            ".",
            OFlags::PATH | OFlags::CLOEXEC,
            Mode::empty(),
            ResolveFlags::IN_ROOT | ResolveFlags::NO_SYMLINKS,
        );
        // ENOSYS before Linux 5.6; EPERM under seccomp profiles that predate openat2.
        let resolver = match probe {
            Ok(_) => Resolver::Kernel,
            Err(_) => Resolver::Components,
        };
        Ok(RootDir { fd, resolver })
    }

    /// [`RootDir::open`] with a chosen resolver, so tests cover both.
    #[cfg(test)]
    pub fn open_with(path: &Path, resolver: Resolver) -> std::io::Result<Self> {
        Ok(RootDir {
            resolver,
            ..RootDir::open(path)?
        })
    }

    pub fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }

    /// Opens `relative` (a `/`-separated path below the root) with `flags`.
    pub fn open_at(&self, relative: &str, flags: OFlags, follow: Follow) -> Result<OwnedFd, Errno> {
        let flags = flags | OFlags::CLOEXEC;
        match self.resolver {
            Resolver::Kernel => open_kernel(self.as_fd(), relative, flags, follow),
            Resolver::Components => open_components(self.as_fd(), relative, flags, follow),
        }
    }

    /// Opens `relative` for reading. Non-blocking, so a FIFO swapped in is not waited on
    /// (the caller checks what it got with `fstat`).
    pub fn open_read(&self, relative: &str, follow: Follow) -> Result<std::fs::File, Errno> {
        let flags = OFlags::RDONLY | OFlags::NONBLOCK | OFlags::NOCTTY;
        let fd = self.open_at(relative, flags, follow)?;
        Ok(std::fs::File::from(fd))
    }
}

fn open_kernel(
    root: BorrowedFd<'_>,
    relative: &str,
    flags: OFlags,
    follow: Follow,
) -> Result<OwnedFd, Errno> {
    let resolve = match follow {
        Follow::Never => ResolveFlags::IN_ROOT | ResolveFlags::NO_SYMLINKS,
        Follow::InRoot => ResolveFlags::IN_ROOT | ResolveFlags::NO_MAGICLINKS,
    };
    let path = if relative.is_empty() { "." } else { relative };
    let mut result = Err(Errno::AGAIN);
    for _ in 0..RACE_RETRIES {
        result = openat2(root, path, flags, Mode::empty(), resolve);
        if !matches!(result, Err(Errno::AGAIN)) {
            break;
        }
    }
    result
}

/// The components of a path in reverse (the next one last), empty ones dropped. `.` stays,
/// and a trailing `/` counts as one: the kernel requires a directory before either
/// (`status/.` and `status/` are ENOTDIR for a file), and so does the walk below.
fn components_reversed(path: &[u8]) -> impl Iterator<Item = Vec<u8>> {
    let trailing_slash = path.len() > 1 && path.ends_with(b"/");
    trailing_slash.then(|| b".".to_vec()).into_iter().chain(
        path.rsplit(|&b| b == b'/')
            .filter(|c| !c.is_empty())
            .map(<[u8]>::to_vec),
    )
}

/// `RESOLVE_IN_ROOT` by hand: each component is opened `O_PATH | O_NOFOLLOW` relative to
/// the directory before it and checked with `fstat`; a symlink's target (read from the
/// opened link itself) is resolved in its place, an absolute one from the root; `..`
/// goes back to the directory this walk came from and stops at the root. No lookup ever
/// starts outside the root or follows a link the kernel picks.
fn open_components(
    root: BorrowedFd<'_>,
    relative: &str,
    flags: OFlags,
    follow: Follow,
) -> Result<OwnedFd, Errno> {
    let mut pending: Vec<Vec<u8>> = components_reversed(relative.as_bytes()).collect();
    // The directories walked into below the root, innermost last.
    let mut dirs: Vec<OwnedFd> = Vec::new();
    let mut hops = 0;
    while let Some(name) = pending.pop() {
        if name == b".." {
            dirs.pop();
            continue;
        }
        if name == b"." {
            continue;
        }
        let dir = dirs.last().map_or(root, AsFd::as_fd);
        let found = openat(
            dir,
            name.as_slice(),
            OFlags::PATH | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )?;
        match FileType::from_raw_mode(fstat(&found)?.st_mode) {
            FileType::Symlink if follow == Follow::InRoot => {
                hops += 1;
                if hops > MAX_LINK_HOPS {
                    return Err(Errno::LOOP);
                }
                let target = readlinkat(&found, "", Vec::new())?.into_bytes();
                if target.starts_with(b"/") {
                    dirs.clear();
                }
                pending.extend(components_reversed(&target));
            }
            FileType::Symlink => return Err(Errno::LOOP),
            FileType::Directory if !pending.is_empty() => dirs.push(found),
            _ if !pending.is_empty() => return Err(Errno::NOTDIR),
            // The last component: open it for real, still without following a link (if
            // it was swapped for one since, this fails rather than follows).
            _ => {
                return openat(
                    dir,
                    name.as_slice(),
                    flags | OFlags::NOFOLLOW,
                    Mode::empty(),
                );
            }
        }
    }
    // The path named a directory through `..` or a link (or was empty).
    let dir = dirs.last().map_or(root, AsFd::as_fd);
    openat(dir, ".", flags, Mode::empty())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // test fixtures
mod tests {
    use std::fs;
    use std::io::Read;
    use std::os::unix::fs::{MetadataExt, symlink};
    use std::path::Path;
    use std::sync::atomic::{AtomicBool, Ordering};

    use proptest::prelude::*;

    use super::*;

    /// A scan root next to a directory outside it that holds `secret`.
    struct Sandbox {
        _dir: tempfile::TempDir,
        root: std::path::PathBuf,
        outside: std::path::PathBuf,
    }

    impl Sandbox {
        fn new() -> Self {
            let dir = tempfile::tempdir().unwrap();
            let root = dir.path().join("root");
            let outside = dir.path().join("outside");
            fs::create_dir_all(&root).unwrap();
            fs::create_dir_all(&outside).unwrap();
            fs::write(outside.join("secret"), "host").unwrap();
            Sandbox {
                _dir: dir,
                root,
                outside,
            }
        }

        fn secret_id(&self) -> (u64, u64) {
            let meta = fs::metadata(self.outside.join("secret")).unwrap();
            (meta.dev(), meta.ino())
        }

        /// Resolvers to check: the by-hand one always, the kernel's where it exists.
        fn roots(&self) -> Vec<RootDir> {
            let mut roots = vec![RootDir::open_with(&self.root, Resolver::Components).unwrap()];
            let kernel = RootDir::open(&self.root).unwrap();
            if kernel.resolver == Resolver::Kernel {
                roots.push(kernel);
            }
            roots
        }
    }

    fn id_of(root: &RootDir, path: &str, follow: Follow) -> Result<(u64, u64), Errno> {
        let fd = root.open_at(path, OFlags::PATH, follow)?;
        let stat = fstat(&fd)?;
        Ok((stat.st_dev, stat.st_ino))
    }

    fn id(path: &Path) -> (u64, u64) {
        let meta = fs::metadata(path).unwrap();
        (meta.dev(), meta.ino())
    }

    #[test]
    fn links_resolve_inside_the_root_and_never_outside() {
        let sandbox = Sandbox::new();
        let root = &sandbox.root;
        fs::create_dir_all(root.join("opt/dpkg")).unwrap();
        fs::create_dir_all(root.join("var/lib")).unwrap();
        fs::write(root.join("opt/dpkg/status"), "in").unwrap();
        symlink("../../opt/dpkg", root.join("var/lib/dpkg")).unwrap();
        symlink("/opt/dpkg/status", root.join("abs")).unwrap();
        symlink(sandbox.outside.join("secret"), root.join("host")).unwrap();
        symlink("../../../../../../../outside/secret", root.join("climb")).unwrap();
        symlink("loop2", root.join("loop1")).unwrap();
        symlink("loop1", root.join("loop2")).unwrap();
        let status = id(&root.join("opt/dpkg/status"));
        for dir in sandbox.roots() {
            let at = |path| id_of(&dir, path, Follow::InRoot);
            assert_eq!(at("var/lib/dpkg/status"), Ok(status), "{:?}", dir.resolver);
            assert_eq!(at("abs"), Ok(status));
            assert_eq!(at("var/lib/dpkg/../dpkg/status"), Ok(status));
            assert_eq!(at("../../var/lib/dpkg/status"), Ok(status));
            assert_eq!(at("host"), Err(Errno::NOENT));
            assert_eq!(at("climb"), Err(Errno::NOENT));
            assert_eq!(at("loop1"), Err(Errno::LOOP));
            assert_eq!(at(""), Ok(id(root)));
            let never = |path| id_of(&dir, path, Follow::Never).map_err(|_| ());
            assert_eq!(never("opt/dpkg/status"), Ok(status));
            assert_eq!(never("var/lib/dpkg/status"), Err(()));
            assert_eq!(never("abs"), Err(()));
        }
    }

    fn component() -> impl Strategy<Value = &'static str> {
        prop_oneof![
            Just("a"),
            Just("b"),
            Just("f"),
            Just(".."),
            Just("."),
            Just("outside"),
            Just("secret")
        ]
    }

    fn relative() -> impl Strategy<Value = String> {
        prop::collection::vec(component(), 0..6).prop_map(|parts| parts.join("/"))
    }

    /// Link targets: relative, absolute (the root's `/`), or the outside directory's real path.
    fn target() -> impl Strategy<Value = (u8, String)> {
        (0u8..3, relative())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// The by-hand resolver agrees with the kernel's `RESOLVE_IN_ROOT`, and neither
        /// ever reaches the file outside the root, whatever the links.
        #[test]
        fn by_hand_agrees_with_the_kernel_and_stays_inside(
            dirs in prop::collection::vec(prop::collection::vec(prop_oneof![Just("a"), Just("b")], 1..3), 0..4),
            links in prop::collection::vec((prop::collection::vec(prop_oneof![Just("a"), Just("b"), Just("f")], 1..3), target()), 0..6),
            queries in prop::collection::vec(relative(), 1..8),
        ) {
            let sandbox = Sandbox::new();
            for dir in &dirs {
                fs::create_dir_all(sandbox.root.join(dir.join("/"))).unwrap();
            }
            for dir in &dirs {
                let _ = fs::write(sandbox.root.join(dir.join("/")).join("f"), "f");
            }
            for (path, (kind, target)) in &links {
                let (parent, name) = path.split_at(path.len() - 1);
                // Links only in real directories (creating one through a link could escape).
                let mut dir = sandbox.root.clone();
                if !parent.iter().all(|c| { dir.push(c); fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) }) {
                    continue;
                }
                let target = match kind {
                    0 => target.clone(),
                    1 => format!("/{target}"),
                    _ => format!("{}/{target}", sandbox.outside.display()),
                };
                let _ = symlink(target, dir.join(name[0]));
            }
            let secret = sandbox.secret_id();
            let roots = sandbox.roots();
            for query in &queries {
                for follow in [Follow::Never, Follow::InRoot] {
                    let results: Vec<_> = roots.iter().map(|r| id_of(r, query, follow).ok()).collect();
                    prop_assert!(results.iter().all(|r| *r != Some(secret)), "{query} reached outside");
                    prop_assert!(results.windows(2).all(|w| w[0] == w[1]), "{query} {follow:?}: {results:?}");
                }
            }
        }
    }

    /// Found by the property test: `f/.` and `f/` name a directory, so for a file they are
    /// ENOTDIR, as the kernel says; the by-hand walk used to drop the `.` and open the file.
    #[test]
    fn a_dot_or_slash_after_a_file_is_not_a_directory() {
        let sandbox = Sandbox::new();
        fs::create_dir_all(sandbox.root.join("b")).unwrap();
        fs::write(sandbox.root.join("b/f"), "f").unwrap();
        for root in sandbox.roots() {
            for query in ["b/f/.", "b/f/", "./b/f/."] {
                assert_eq!(
                    id_of(&root, query, Follow::InRoot),
                    Err(Errno::NOTDIR),
                    "{query}"
                );
            }
            assert!(id_of(&root, "./b/./f", Follow::InRoot).is_ok());
            assert!(id_of(&root, "b/.", Follow::InRoot).is_ok());
        }
    }

    #[test]
    fn a_link_swapped_in_during_reads_is_never_followed() {
        let sandbox = Sandbox::new();
        let lib = sandbox.root.join("var/lib");
        fs::create_dir_all(lib.join("dpkg")).unwrap();
        fs::write(lib.join("dpkg/status"), "in").unwrap();
        symlink(sandbox.outside.join("secret"), lib.join("spare")).unwrap();
        symlink(&sandbox.outside, lib.join("spare-dir")).unwrap();
        let exchange = |a: &str, b: &str| {
            let flags = rustix::fs::RenameFlags::EXCHANGE;
            let (a, b) = (lib.join(a), lib.join(b));
            let _ = rustix::fs::renameat_with(rustix::fs::CWD, &a, rustix::fs::CWD, &b, flags);
        };
        let done = AtomicBool::new(false);
        let mut host_reads = 0;
        std::thread::scope(|scope| {
            scope.spawn(|| {
                // Swap the file and the link (and the directory and a link to the host's
                // directory) back and forth, atomically.
                while !done.load(Ordering::Relaxed) {
                    exchange("dpkg/status", "spare");
                    exchange("dpkg", "spare-dir");
                }
            });
            for dir in sandbox.roots() {
                for _ in 0..2000 {
                    let Ok(mut file) = dir.open_read("var/lib/dpkg/status", Follow::Never) else {
                        continue;
                    };
                    let mut content = String::new();
                    let _ = file.read_to_string(&mut content);
                    host_reads += usize::from(content == "host");
                }
            }
            done.store(true, Ordering::Relaxed);
        });
        assert_eq!(host_reads, 0, "followed a swapped-in link");
    }
}
