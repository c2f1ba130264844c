//! Directory scans and symlinks: packages hidden behind a link inside the root are found,
//! links (and links swapped in while the scan runs) never lead to the host's files.
#![allow(clippy::unwrap_used)] // test fixtures

use std::fs;
use std::mem::MaybeUninit;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use kabuto_inventory::{NoProgress, ScanOptions, scan_directory};
use kabuto_types::{ArtifactKind, Inventory};

const STATUS: &str = "Package: zlib1g\nStatus: install ok installed\nVersion: 1:1.2.13.dfsg-1\n\n\
Package: adduser\nStatus: install ok installed\nVersion: 3.134\n";
/// The host's database: its package must never show up in a scan of another root.
const HOST_STATUS: &str =
    "Package: host-only-marker-7f3a\nStatus: install ok installed\nVersion: 1.0-1\n";
const CARGO_LOCK: &str = "version = 3\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.200\"\n\
source = \"registry+https://github.com/rust-lang/crates.io-index\"\n";

/// A scan root `root/` and, next to it, `host/status` standing for the host's database.
struct Sandbox {
    _dir: tempfile::TempDir,
    root: std::path::PathBuf,
    host_status: std::path::PathBuf,
}

impl Sandbox {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        let host = dir.path().join("host");
        fs::create_dir_all(&root).unwrap();
        fs::create_dir_all(&host).unwrap();
        let host_status = host.join("status");
        fs::write(&host_status, HOST_STATUS).unwrap();
        Sandbox {
            _dir: dir,
            root,
            host_status,
        }
    }

    fn write(&self, path: &str, content: &str) {
        let path = self.root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, content).unwrap();
    }

    fn link(&self, path: &str, target: impl AsRef<Path>) {
        let path = self.root.join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        symlink(target, path).unwrap();
    }

    fn scan(&self, kind: ArtifactKind) -> Inventory {
        scan_directory(&self.root, kind, &ScanOptions::for_kind(kind), &NoProgress).unwrap()
    }
}

/// (name, path) of every package, sorted.
fn packages(inventory: &Inventory) -> Vec<(String, String)> {
    let mut found: Vec<_> = inventory
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.locations[0].path.clone()))
        .collect();
    found.sort();
    found
}

fn dpkg_at(path: &str) -> Vec<(String, String)> {
    vec![
        ("adduser".into(), path.into()),
        ("zlib1g".into(), path.into()),
    ]
}

#[test]
fn packages_behind_a_symlinked_database_directory_are_found() {
    for target in ["../../opt/dpkg", "/opt/dpkg", "/../../opt/dpkg/"] {
        let sandbox = Sandbox::new();
        sandbox.write("opt/dpkg/status", STATUS);
        sandbox.link("var/lib/dpkg", target);
        let inventory = sandbox.scan(ArtifactKind::Rootfs);
        assert_eq!(
            packages(&inventory),
            dpkg_at("var/lib/dpkg/status"),
            "{target}"
        );
        assert!(inventory.warnings.is_empty(), "{:?}", inventory.warnings);
    }
}

#[test]
fn links_to_the_hosts_files_are_not_followed_out_of_the_root() {
    let sandbox = Sandbox::new();
    let host_dir = sandbox.host_status.parent().unwrap().to_owned();
    // Absolute (the host's path, which means root/<that path> here), climbing, and a
    // directory link: none may reach the host's database.
    sandbox.link("var/lib/dpkg/status", &sandbox.host_status);
    sandbox.link(
        "var/lib/dpkg/status.d/x",
        "../../../../../../../../../../host/status",
    );
    sandbox.link("lib/apk", &host_dir);
    sandbox.link("usr/lib/sysimage/rpm", "/../../../../host");
    let inventory = sandbox.scan(ArtifactKind::Rootfs);
    assert_eq!(packages(&inventory), []);
    assert!(inventory.warnings.is_empty(), "{:?}", inventory.warnings);
}

#[test]
fn a_symlink_loop_is_a_warning_naming_the_link() {
    let sandbox = Sandbox::new();
    sandbox.link("var/lib/dpkg", "../../opt/dpkg");
    sandbox.link("opt/dpkg", "../var/lib/dpkg");
    sandbox.write("usr/bin/ls", "");
    sandbox.link("usr/bin/X11", ".");
    let inventory = sandbox.scan(ArtifactKind::Rootfs);
    assert_eq!(packages(&inventory), []);
    let mut locations: Vec<_> = inventory.warnings.iter().map(|w| &w.location).collect();
    locations.sort();
    assert_eq!(locations, ["opt/dpkg", "var/lib/dpkg"]);
    assert!(
        inventory.warnings[0].message.contains("loop"),
        "{:?}",
        inventory.warnings
    );
}

#[test]
fn a_symlinked_lockfile_in_a_project_is_read_inside_the_project_only() {
    let sandbox = Sandbox::new();
    sandbox.write("locks/app.lock", CARGO_LOCK);
    sandbox.link("app/Cargo.lock", "../locks/app.lock");
    sandbox.link("other/Cargo.lock", "../../host/status");
    let inventory = sandbox.scan(ArtifactKind::Filesystem);
    assert_eq!(
        packages(&inventory),
        [("serde".to_owned(), "app/Cargo.lock".to_owned())]
    );
}

#[test]
fn a_database_found_under_both_names_is_reported_once() {
    // The real path is wanted by the same analyzer, so the alias adds nothing.
    let sandbox = Sandbox::new();
    sandbox.write("var/lib/dpkg/status", STATUS);
    sandbox.link("var/lib/dpkg/status.d/base", "../status");
    sandbox.link("bin", "usr/bin");
    let inventory = sandbox.scan(ArtifactKind::Rootfs);
    assert_eq!(packages(&inventory), dpkg_at("var/lib/dpkg/status"));
}

/// The race of issue 9: the walk sees `var/lib/dpkg/status` as a regular file, then a
/// process swaps it for a symlink to the host's database before it is read. The attacker
/// here watches the directory with inotify and swaps as soon as the walk is done listing
/// it. Reading by path followed the link (the code before this test read the host's file in
/// most of the scans); reads relative to the root with no symlink allowed, checked against
/// what the walk saw, never do.
#[test]
fn a_symlink_swapped_in_mid_scan_never_leads_to_the_host() {
    use rustix::fs::inotify;
    const SCANS: usize = 100;
    let sandbox = Sandbox::new();
    sandbox.write("var/lib/dpkg/status", STATUS);
    sandbox.link("var/lib/spare", &sandbox.host_status);
    // Files the walk may pass after the database's directory: time for the swap.
    for i in 0..100 {
        sandbox.write(&format!("usr/share/pad/f{i}"), "");
    }
    let dpkg = sandbox.root.join("var/lib/dpkg");
    let status = dpkg.join("status");
    let spare = sandbox.root.join("var/lib/spare");
    let swap = || {
        let exchange = rustix::fs::RenameFlags::EXCHANGE;
        rustix::fs::renameat_with(rustix::fs::CWD, &status, rustix::fs::CWD, &spare, exchange)
            .unwrap();
    };
    let watch = inotify::init(inotify::CreateFlags::CLOEXEC).unwrap();
    inotify::add_watch(&watch, &dpkg, inotify::WatchFlags::CLOSE_NOWRITE).unwrap();
    // Set before each scan: the attacker swaps once per scan.
    let armed = Mutex::new(false);
    let done = AtomicBool::new(false);
    let (mut host_reads, mut caught) = (0, 0);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut buffer = [MaybeUninit::uninit(); 4096];
            let mut events = inotify::Reader::new(&watch, &mut buffer);
            while let Ok(event) = events.next() {
                if done.load(Ordering::Relaxed) {
                    break;
                }
                // The directory itself was closed: its listing (and `lstat`s) are done.
                let listed = event.events().contains(inotify::ReadFlags::ISDIR)
                    && event.file_name().is_none_or(|name| name.is_empty());
                let mut armed = armed.lock().unwrap();
                if listed && std::mem::take(&mut *armed) {
                    swap();
                }
            }
        });
        let _stop = Stop {
            done: &done,
            dir: &dpkg,
        };
        for _ in 0..SCANS {
            {
                let mut armed = armed.lock().unwrap();
                if fs::symlink_metadata(&status).unwrap().is_symlink() {
                    swap();
                }
                *armed = true;
            }
            let inventory = sandbox.scan(ArtifactKind::Rootfs);
            *armed.lock().unwrap() = false;
            let names: Vec<_> = inventory.packages.iter().map(|p| p.name.as_str()).collect();
            host_reads += usize::from(names.contains(&"host-only-marker-7f3a"));
            let warned = |w: &kabuto_types::Warning| w.message.contains("changed while");
            caught += usize::from(inventory.warnings.iter().any(warned));
        }
    });
    assert_eq!(
        host_reads, 0,
        "{host_reads} of {SCANS} scans read the host's database"
    );
    // Not asserted (it depends on scheduling): how often the swap beat the read.
    eprintln!("{caught} of {SCANS} scans saw the file swapped and did not read it");
}

/// Stops the attacker thread when the scans end, even by a panic (the thread scope would
/// otherwise wait for it forever).
struct Stop<'a> {
    done: &'a AtomicBool,
    dir: &'a Path,
}

impl Drop for Stop<'_> {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        // One more event, so the attacker wakes up and sees it is done.
        drop(fs::read_dir(self.dir));
    }
}
