//! Shared by the end-to-end tests: running the `kabuto` binary, building image archives and
//! advisory databases in code, and redacting what changes between runs from golden output.
#![allow(dead_code)] // Each test binary uses its own part of this module.

pub mod mirror;
pub mod server;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sha2::{Digest as _, Sha256};

/// What one `kabuto` run did.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Asserts the exit code and that nothing panicked; returns `self` for more checks.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert!(
            !self.stderr.contains("panicked"),
            "kabuto panicked:\n{}",
            self.stderr
        );
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    /// Parses standard output as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}

/// Runs `kabuto ARGS` with no inherited database or log settings: a database is only used
/// when a test passes `--db`, and the default one lives under `home` (usually empty).
pub fn kabuto_in(home: &Path, args: &[&str]) -> Run {
    run_kabuto(home, None, args)
}

/// `kabuto ARGS` run from `dir` (also its home), so targets can be given as relative paths
/// and reports name them without a temp path.
pub fn kabuto_at(dir: &Path, args: &[&str]) -> Run {
    run_kabuto(dir, Some(dir), args)
}

fn run_kabuto(home: &Path, cwd: Option<&Path>, args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kabuto"));
    command
        .args(args)
        .env_remove("KABUTO_DB")
        .env_remove("KABUTO_LOG")
        .env_remove("KABUTO_USERNAME")
        .env_remove("KABUTO_PASSWORD")
        .env("XDG_CACHE_HOME", home.join("cache"))
        .env("HOME", home);
    if let Some(cwd) = cwd {
        command.current_dir(cwd);
    }
    let out = command.output().expect("the kabuto binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `kabuto ARGS` with a throwaway, empty home directory.
pub fn kabuto(args: &[&str]) -> Run {
    let home = tempfile::tempdir().expect("tempdir");
    kabuto_in(home.path(), args)
}

pub fn path_arg(path: &Path) -> &str {
    path.to_str().expect("test paths are UTF-8")
}

/// Replaces what differs between runs (temp paths, this run's timestamps, UUIDs,
/// durations, the version of the binary) with stable placeholders. `dirs` become `[TMP]`.
/// Timestamps from the inputs (advisory dates, image creation) are kept.
pub fn redact(text: &str, dirs: &[&Path]) -> String {
    let mut out = text.to_owned();
    for dir in dirs {
        // Canonical and as-given spellings both appear in messages.
        if let Ok(canonical) = dir.canonicalize() {
            out = out.replace(path_arg(&canonical), "[TMP]");
        }
        out = out.replace(path_arg(dir), "[TMP]");
    }
    let timestamp =
        regex::Regex::new(r"(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?")
            .expect("valid pattern");
    let today = time::OffsetDateTime::now_utc().date();
    out = timestamp
        .replace_all(&out, |c: &regex::Captures<'_>| {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            match time::Date::parse(&c[1], &format) {
                Ok(date) if (today - date).whole_days().abs() <= 2 => "[TIME]".to_owned(),
                _ => c[0].to_owned(),
            }
        })
        .into_owned();
    let patterns: [(&str, &str); 3] = [
        (
            r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
            "[UUID]",
        ),
        (r"in \d+\.\d s", "in [SECS] s"),
        (
            concat!(r"\b", env!("CARGO_PKG_VERSION"), r"\b"),
            "[VERSION]",
        ),
    ];
    for (pattern, replacement) in patterns {
        let re = regex::Regex::new(pattern).expect("valid pattern");
        out = re.replace_all(&out, replacement).into_owned();
    }
    out
}

/// The sha256 of `bytes` as `sha256:<hex>`.
pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// A layer tar written entry by entry. Names are written into the header as given (no
/// normalisation), so tests can put `../` and absolute paths into a layer.
pub struct TarBuilder(tar::Builder<Vec<u8>>);

impl Default for TarBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl TarBuilder {
    pub fn new() -> Self {
        TarBuilder(tar::Builder::new(Vec::new()))
    }

    fn entry(&mut self, path: &str, kind: tar::EntryType, link: &str, data: &[u8]) -> &mut Self {
        let mut header = tar::Header::new_gnu();
        let old = header.as_old_mut();
        assert!(path.len() < old.name.len() && link.len() < old.linkname.len());
        old.name[..path.len()].copy_from_slice(path.as_bytes());
        old.linkname[..link.len()].copy_from_slice(link.as_bytes());
        header.set_entry_type(kind);
        header.set_size(data.len() as u64);
        header.set_mode(if kind == tar::EntryType::Directory {
            0o755
        } else {
            0o644
        });
        header.set_mtime(1_700_000_000);
        header.set_uid(0);
        header.set_gid(0);
        header.set_cksum();
        self.0.append(&header, data).expect("append to a Vec");
        self
    }

    pub fn file(&mut self, path: &str, data: impl AsRef<[u8]>) -> &mut Self {
        self.entry(path, tar::EntryType::Regular, "", data.as_ref())
    }

    pub fn dir(&mut self, path: &str) -> &mut Self {
        self.entry(path, tar::EntryType::Directory, "", &[])
    }

    pub fn symlink(&mut self, path: &str, target: &str) -> &mut Self {
        self.entry(path, tar::EntryType::Symlink, target, &[])
    }

    pub fn finish(self) -> Vec<u8> {
        self.0.into_inner().expect("finish tar")
    }
}

/// One layer: its uncompressed diff ID and the blob as stored.
#[derive(Clone)]
pub struct Layer {
    pub diff_id: String,
    pub blob: Vec<u8>,
}

impl Layer {
    pub fn plain(tar: Vec<u8>) -> Layer {
        Layer {
            diff_id: sha256(&tar),
            blob: tar,
        }
    }

    pub fn gzip(tar: Vec<u8>) -> Layer {
        Layer {
            diff_id: sha256(&tar),
            blob: gzip(&tar),
        }
    }

    pub fn zstd(tar: Vec<u8>) -> Layer {
        Layer {
            diff_id: sha256(&tar),
            blob: zstd::encode_all(tar.as_slice(), 3).expect("zstd"),
        }
    }
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).expect("gzip");
    encoder.finish().expect("gzip")
}

/// A `docker save`-style archive (Docker 25+ layout: members named by their digest, so the
/// reader verifies them). `config` replaces the generated image config when set.
pub struct DockerArchive {
    pub layers: Vec<Layer>,
    pub config: Option<Vec<u8>>,
    pub repo_tag: String,
}

impl DockerArchive {
    pub fn new(layers: Vec<Layer>) -> Self {
        DockerArchive {
            layers,
            config: None,
            repo_tag: "example.invalid/kabuto-test:1.0".to_owned(),
        }
    }

    fn generated_config(&self) -> Vec<u8> {
        let diff_ids: Vec<&str> = self.layers.iter().map(|l| l.diff_id.as_str()).collect();
        let history: Vec<serde_json::Value> = (1..=self.layers.len())
            .map(|i| {
                serde_json::json!({
                    "created": "2024-01-01T00:00:00Z",
                    "created_by": format!("/bin/sh -c #(nop) ADD layer{i}.tar /"),
                })
            })
            .collect();
        serde_json::to_vec(&serde_json::json!({
            "architecture": "amd64",
            "os": "linux",
            "created": "2024-01-01T00:00:00Z",
            "config": {
                "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                "Cmd": ["/bin/sh"],
            },
            "rootfs": {"type": "layers", "diff_ids": diff_ids},
            "history": history,
        }))
        .expect("config JSON")
    }

    /// `manifest.json`, the config and the layers, named as `docker save` names them.
    pub fn members(&self) -> Vec<(String, Vec<u8>)> {
        let config = self
            .config
            .clone()
            .unwrap_or_else(|| self.generated_config());
        let blob_name = |bytes: &[u8]| format!("blobs/sha256/{}", &sha256(bytes)[7..]);
        let config_name = blob_name(&config);
        let layer_names: Vec<String> = self.layers.iter().map(|l| blob_name(&l.blob)).collect();
        let manifest = serde_json::to_vec(&serde_json::json!([{
            "Config": config_name,
            "RepoTags": [self.repo_tag],
            "Layers": layer_names,
        }]))
        .expect("manifest JSON");
        let mut members = vec![
            ("manifest.json".to_owned(), manifest),
            (config_name, config),
        ];
        members.extend(
            layer_names
                .into_iter()
                .zip(self.layers.iter().map(|l| l.blob.clone())),
        );
        members
    }

    pub fn bytes(&self) -> Vec<u8> {
        archive_of(&self.members())
    }

    pub fn write(&self, path: &Path) {
        std::fs::write(path, self.bytes()).expect("write image archive");
    }
}

/// A tar of `members` (used for image archives, whose member names are always clean).
pub fn archive_of(members: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut tar = TarBuilder::new();
    for (name, data) in members {
        tar.file(name, data);
    }
    tar.finish()
}

/// This crate's directory (for fixtures).
pub fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// kabuto-vulndb's committed advisory records (real pypa/nodejs/... files).
pub fn vulndb_feeds() -> PathBuf {
    crate_dir().join("../../scan/vulndb/tests/fixtures/feeds")
}

/// A database built once per test binary by `kabuto db build` from kabuto-vulndb's feeds
/// plus this crate's unfixed-advisory feed; kept under Cargo's per-target temp dir.
pub fn feeds_db() -> &'static Path {
    static DB: OnceLock<PathBuf> = OnceLock::new();
    DB.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("kabuto-cli-tests");
        std::fs::create_dir_all(&dir).expect("create target tmp dir");
        // One file per test binary: cargo may run this crate's test binaries at the same time.
        let binary = std::env::current_exe().expect("test binary path");
        let stem = binary
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("tests");
        // Without cargo's hash suffix, so rebuilt binaries reuse the file.
        let stem = stem.rsplit_once('-').map_or(stem, |(name, _)| name);
        let db = dir.join(format!("feeds-{stem}.db"));
        let unfixed = crate_dir().join("tests/fixtures/feeds-unfixed");
        kabuto(&[
            "db",
            "build",
            "--source",
            path_arg(&vulndb_feeds()),
            "--source",
            path_arg(&unfixed),
            "--output",
            path_arg(&db),
        ])
        .expect_code(0);
        db
    })
}

/// Where `build-fixture-images.sh` put the real fixture images, if it ran.
pub fn fixture_images() -> Option<PathBuf> {
    let dir = std::env::var_os("KABUTO_FIXTURES")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/kabuto-fixtures/out"))
        })?;
    dir.join("docker").is_dir().then_some(dir)
}

/// Adds every directory and file under `root` to `tar`, in sorted order, with paths
/// relative to `root`.
pub fn add_tree(tar: &mut TarBuilder, root: &Path) {
    fn visit(tar: &mut TarBuilder, root: &Path, dir: &Path) {
        let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("read fixture dir")
            .map(|e| e.expect("fixture dir entry").path())
            .collect();
        children.sort();
        for child in children {
            let relative = child.strip_prefix(root).expect("under root");
            let name = path_arg(relative).replace('\\', "/");
            if child.is_dir() {
                tar.dir(&format!("{name}/"));
                visit(tar, root, &child);
            } else {
                tar.file(&name, std::fs::read(&child).expect("read fixture file"));
            }
        }
    }
    visit(tar, root, root);
}

pub fn app_fixture() -> PathBuf {
    crate_dir().join("tests/fixtures/app-image")
}

/// The two-layer app image of `tests/fixtures/app-image`: Debian base (plain tar), then the
/// Python and npm packages (gzip), whose layer also deletes six with a whiteout.
pub fn app_image() -> DockerArchive {
    let mut base = TarBuilder::new();
    add_tree(&mut base, &app_fixture().join("base"));
    let mut app = TarBuilder::new();
    add_tree(&mut app, &app_fixture().join("app"));
    app.file("usr/lib/python3/dist-packages/.wh.six-1.16.0.dist-info", "");
    DockerArchive::new(vec![Layer::plain(base.finish()), Layer::gzip(app.finish())])
}

/// The file name the app image is written under, so reports name it `app.tar`.
pub const APP_ARCHIVE: &str = "app.tar";

/// The app image as `app.tar` in a fresh temp dir, where the tests run kabuto (so reports
/// name the image `app.tar`, not a temp path).
pub fn app_image_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    app_image().write(&dir.path().join(APP_ARCHIVE));
    dir
}

/// `kabuto scan image app.tar --scanners vuln --db FEEDS EXTRA...` in `dir`.
pub fn scan_app(dir: &Path, extra: &[&str]) -> Run {
    let mut args = vec![
        "scan",
        "image",
        APP_ARCHIVE,
        "--scanners",
        "vuln",
        "--db",
        path_arg(feeds_db()),
    ];
    args.extend_from_slice(extra);
    kabuto_at(dir, &args)
}

/// The plain-HTTP test registry's `host:port`, or `None` (with a note) when it is not running.
pub fn plain_registry() -> Option<String> {
    let dir = std::env::var_os("KABUTO_REGISTRY_DIR")
        .map_or_else(|| PathBuf::from("/tmp/kabuto-registry"), PathBuf::from);
    let text = std::fs::read_to_string(dir.join("registry.env")).ok();
    let port = text.as_deref().and_then(|text| {
        text.lines()
            .find_map(|line| line.strip_prefix("PLAIN_PORT="))
            .map(str::to_owned)
    });
    let address = port.map(|port| format!("127.0.0.1:{port}"));
    match address {
        Some(address) if std::net::TcpStream::connect(&address).is_ok() => Some(address),
        _ => {
            eprintln!("SKIP: the test registries are not running (scripts/test-registry.sh)");
            None
        }
    }
}
