//! The executables of a container's image, for `drift_prevention.image_lockdown`: the scan
//! engine walks the image's layers (its overlay lower directories, as the runtime mounted
//! them; a container on a plain directory has no others, and its root is walked when the
//! enforcer first sees it) and lists the regular files with an execute bit. One walk per
//! image, on a thread of its own so events are judged meanwhile, kept for every container
//! of that image.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;

use kabuto_scan::{Cancel, Engine, NoProgress, Rules, ScanPlan, Scanners, Target};

use crate::identity::{ContainerInfo, HostRoot};

/// Absolute paths (`/usr/bin/ls`) of an image's executables.
pub type Executables = Arc<HashSet<String>>;

/// The walks asked for and their results, by image.
#[derive(Debug)]
pub struct ImageExecutables {
    known: HashMap<String, Executables>,
    /// Images being walked, or whose walk failed (not retried).
    asked: HashSet<String>,
    requests: Option<mpsc::Sender<(String, Vec<PathBuf>)>>,
    results: mpsc::Receiver<(String, Result<HashSet<String>, String>)>,
    worker: Option<std::thread::JoinHandle<()>>,
}

impl Default for ImageExecutables {
    fn default() -> Self {
        ImageExecutables::new()
    }
}

impl ImageExecutables {
    pub fn new() -> ImageExecutables {
        let (requests, inbox) = mpsc::channel::<(String, Vec<PathBuf>)>();
        let (done, results) = mpsc::channel();
        let worker = std::thread::Builder::new()
            .name("image-executables".into())
            .spawn(move || {
                for (image, dirs) in inbox {
                    if done.send((image, walk(&dirs))).is_err() {
                        return;
                    }
                }
            })
            .ok();
        ImageExecutables {
            known: HashMap::new(),
            asked: HashSet::new(),
            requests: Some(requests),
            results,
            worker,
        }
    }

    /// Starts the walk of the container's image unless it is known or under way; returns
    /// the key its executables are kept under.
    pub fn request(&mut self, info: &ContainerInfo, host_root: &HostRoot) -> String {
        let image = image_key(info);
        if !self.known.contains_key(&image) && self.asked.insert(image.clone()) {
            let dirs = layer_dirs(info, host_root);
            tracing::debug!(image, ?dirs, "walking the image's executables");
            if let Some(requests) = &self.requests {
                let _ = requests.send((image.clone(), dirs));
            }
        }
        image
    }

    /// The image's executables, once walked.
    pub fn get(&mut self, image: &str) -> Option<Executables> {
        for (done, result) in self.results.try_iter() {
            match result {
                Ok(set) => {
                    self.known.insert(done, Arc::new(set));
                }
                Err(e) => tracing::warn!(image = done, "image_lockdown cannot judge: {e}"),
            }
        }
        self.known.get(image).cloned()
    }
}

impl Drop for ImageExecutables {
    fn drop(&mut self) {
        self.requests = None;
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

/// The image a container runs, as the cache key: its digest where the runtime recorded one
/// (a tag moved to new content is another image), else its reference, else (unknown image)
/// the container itself.
fn image_key(info: &ContainerInfo) -> String {
    if let Some(digest) = &info.image_digest {
        digest.clone()
    } else if info.container.image.is_empty() {
        format!("container {}", info.container.id)
    } else {
        info.container.image.clone()
    }
}

/// The image's own layers: the lower directories of the overlay mounted at the container's
/// root (host paths, read under the host root); else its root directory as the runtime
/// prepared it on the host, without the container's own mounts (a tmpfs, a volume).
fn layer_dirs(info: &ContainerInfo, host_root: &HostRoot) -> Vec<PathBuf> {
    let mountinfo =
        std::fs::read_to_string(format!("/proc/{}/mountinfo", info.init_pid)).unwrap_or_default();
    match overlay_lower_dirs(&mountinfo) {
        Some(dirs) => dirs.iter().map(|d| host_root.path(Path::new(d))).collect(),
        None => vec![info.root_dir.clone()],
    }
}

/// `lowerdir=` of the overlay mounted at `/` in a mountinfo table.
fn overlay_lower_dirs(mountinfo: &str) -> Option<Vec<String>> {
    mountinfo.lines().find_map(|line| {
        let (mount, fs) = line.split_once(" - ")?;
        let mount_point = mount.split(' ').nth(4)?;
        let mut fs = fs.split(' ');
        let (kind, _source, options) = (fs.next()?, fs.next()?, fs.next()?);
        if mount_point != "/" || kind != "overlay" {
            return None;
        }
        let lower = options
            .split(',')
            .find_map(|o| o.strip_prefix("lowerdir="))?;
        Some(lower.split(':').map(str::to_owned).collect())
    })
}

/// The executables of the directories, by the scan engine's walk (no scanner runs: the
/// inventory walk alone lists them).
fn walk(dirs: &[PathBuf]) -> Result<HashSet<String>, String> {
    let engine =
        Engine::new(None, &Rules::default(), Scanners::default()).map_err(|e| e.to_string())?;
    let plan = ScanPlan::default();
    let mut executables = HashSet::new();
    for dir in dirs {
        let result = engine
            .scan(
                &Target::Rootfs(dir.clone()),
                &plan,
                &NoProgress,
                &Cancel::new(),
            )
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        executables.extend(result.executables.iter().map(|p| format!("/{p}")));
    }
    Ok(executables)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lower_directories_of_the_root_overlay() {
        let mountinfo = "\
1262 1181 0:137 / / rw,relatime master:420 - overlay overlay rw,lowerdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/12/fs:/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/11/fs,upperdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/13/fs,workdir=/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/13/work
1263 1262 0:139 / /proc rw,nosuid,nodev,noexec,relatime - proc proc rw
";
        assert_eq!(
            overlay_lower_dirs(mountinfo),
            Some(vec![
                "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/12/fs".into(),
                "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs/snapshots/11/fs".into(),
            ])
        );
        assert_eq!(
            overlay_lower_dirs("25 1 8:1 / / rw,relatime - ext4 /dev/sda1 rw\n"),
            None,
            "a plain directory root"
        );
    }

    #[test]
    fn a_walk_lists_regular_files_with_an_execute_bit() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().expect("dir");
        std::fs::create_dir_all(root.path().join("usr/bin")).expect("dirs");
        std::fs::write(root.path().join("usr/bin/tool"), b"#!/bin/sh\n").expect("file");
        std::fs::set_permissions(
            root.path().join("usr/bin/tool"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
        std::fs::write(root.path().join("usr/bin/readme"), b"text").expect("file");
        std::os::unix::fs::symlink("tool", root.path().join("usr/bin/alias")).expect("link");
        let found = walk(&[root.path().to_owned()]).expect("walk");
        assert_eq!(found, HashSet::from(["/usr/bin/tool".to_owned()]));
    }
}
