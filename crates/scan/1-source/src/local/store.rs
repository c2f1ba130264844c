//! Named members of an image on disk: files of a directory, or members of a tar that is
//! read in place (uncompressed: by recorded offsets; compressed: by re-reading the stream).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use kabuto_types::text::terminal_safe;

use crate::SourceError;

/// Members at most this large are kept in memory when indexing a compressed archive, so
/// manifests and configs need no second pass.
const CACHE_MEMBER_BYTES: u64 = 1 << 20;
const CACHE_TOTAL_BYTES: u64 = 64 << 20;
/// More members than any real image archive has; bounds the index of a hostile one.
const MAX_MEMBERS: usize = 1_000_000;
/// Symlink and hardlink members followed before giving up.
const MAX_LINK_HOPS: usize = 8;
const READ_BUFFER: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Codec {
    Gzip,
    Zstd,
}

#[derive(Debug, Clone)]
enum Member {
    /// Content at `offset` (in the uncompressed archive), `size` bytes long.
    Data { offset: u64, size: u64 },
    /// A symlink or hardlink member (classic `docker save` links `<id>/layer.tar` to the
    /// layer file), followed only inside the archive: `target` is archive-relative, `None`
    /// when the link climbs out of the archive (`raw` is what it says).
    Link { target: Option<String>, raw: String },
    /// A member that holds no content: a directory, FIFO or device entry.
    Special(&'static str),
}

#[derive(Debug)]
enum Kind {
    Dir,
    Tar {
        members: HashMap<String, Member>,
    },
    Compressed {
        codec: Codec,
        members: HashMap<String, Member>,
        cached: HashMap<String, Vec<u8>>,
    },
}

/// An image's files, addressed by archive-relative names such as `manifest.json` or
/// `blobs/sha256/<hex>`.
#[derive(Debug)]
pub(crate) struct Store {
    /// The path as the user gave it, for messages.
    image: String,
    path: PathBuf,
    kind: Kind,
}

/// Makes an archive member name relative: no leading `/` or `./`, no `.` components.
/// Returns `None` for names that climb with `..` (never trusted).
fn member_name(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    for component in raw.split('/') {
        match component {
            "" | "." => {}
            ".." => return None,
            name => {
                if !out.is_empty() {
                    out.push('/');
                }
                out.push_str(name);
            }
        }
    }
    Some(out)
}

impl Store {
    /// Opens `path`: a directory, a tar, or a gzip/zstd-compressed tar.
    pub fn open(path: &Path) -> Result<Store, SourceError> {
        let mut store = Store {
            image: path.display().to_string(),
            path: path.to_owned(),
            kind: Kind::Dir,
        };
        if std::fs::metadata(path).map_err(|e| store.io(e))?.is_dir() {
            return Ok(store);
        }
        let (mut file, archive_len) = open_regular(path).map_err(|e| store.io(e))?;
        let mut magic = [0u8; 4];
        let magic_len = read_up_to(&mut file, &mut magic).map_err(|e| store.io(e))?;
        file.seek(SeekFrom::Start(0)).map_err(|e| store.io(e))?;
        let codec = match &magic[..magic_len] {
            [0x1f, 0x8b, ..] => Some(Codec::Gzip),
            [0x28, 0xb5, 0x2f, 0xfd] => Some(Codec::Zstd),
            _ => None,
        };
        store.kind = match codec {
            None => {
                let mut archive = tar::Archive::new(BufReader::new(file));
                let entries = archive
                    .entries_with_seek()
                    .map_err(|e| store.tar_error_after(e, ""))?;
                let members = store.index(entries, archive_len, |_, _| Ok(()))?;
                Kind::Tar { members }
            }
            Some(codec) => {
                let mut archive = tar::Archive::new(decoder(codec, file).map_err(|e| store.io(e))?);
                let entries = archive
                    .entries()
                    .map_err(|e| store.tar_error_after(e, ""))?;
                let mut cached = HashMap::new();
                let mut cached_bytes = 0;
                let members = store.index(entries, u64::MAX, |name, entry| {
                    let size = entry.size();
                    if size <= CACHE_MEMBER_BYTES && cached_bytes + size <= CACHE_TOTAL_BYTES {
                        let mut content = Vec::with_capacity(size as usize);
                        entry.read_to_end(&mut content)?;
                        cached_bytes += size;
                        cached.insert(name.to_owned(), content);
                    }
                    Ok(())
                })?;
                Kind::Compressed {
                    codec,
                    members,
                    cached,
                }
            }
        };
        Ok(store)
    }

    /// Records every member's name and content offset; `visit` may read a member's content.
    fn index<R: Read>(
        &self,
        entries: tar::Entries<'_, R>,
        archive_len: u64,
        mut visit: impl FnMut(&str, &mut tar::Entry<'_, R>) -> io::Result<()>,
    ) -> Result<HashMap<String, Member>, SourceError> {
        let mut members = HashMap::new();
        let mut last = String::new();
        for entry in entries {
            let mut entry = entry.map_err(|e| self.tar_error_after(e, &last))?;
            let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let Some(name) = member_name(&raw_name) else {
                tracing::warn!(
                    image = self.image,
                    member = raw_name,
                    "skipping archive member whose name climbs with `..`"
                );
                continue;
            };
            if members.len() >= MAX_MEMBERS {
                return Err(self.invalid("archive", format!("more than {MAX_MEMBERS} members")));
            }
            let entry_type = entry.header().entry_type();
            let member = match entry_type {
                tar::EntryType::Symlink | tar::EntryType::Link => {
                    let raw = entry.link_name_bytes().unwrap_or_default();
                    let raw = String::from_utf8_lossy(&raw).into_owned();
                    let target = if entry_type == tar::EntryType::Symlink && !raw.starts_with('/') {
                        // Symlinks are relative to the directory holding them.
                        let dir = name.rfind('/').map_or("", |cut| &name[..cut]);
                        resolve_relative(dir, &raw)
                    } else {
                        member_name(&raw)
                    };
                    Member::Link { target, raw }
                }
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    let offset = entry.raw_file_position();
                    let size = entry.size();
                    if offset.saturating_add(size) > archive_len {
                        return Err(self.invalid(
                            &format!("member `{name}`"),
                            format!("truncated archive: needs {size} bytes at offset {offset}, file has {archive_len}"),
                        ));
                    }
                    visit(&name, &mut entry).map_err(|e| self.member_error(&name, e))?;
                    Member::Data { offset, size }
                }
                tar::EntryType::Directory => Member::Special("directory"),
                tar::EntryType::Fifo => Member::Special("fifo"),
                tar::EntryType::Char => Member::Special("character device"),
                tar::EntryType::Block => Member::Special("block device"),
                _ => continue,
            };
            last.clone_from(&name);
            members.insert(name, member);
        }
        Ok(members)
    }

    /// The image path as the user gave it.
    pub fn image(&self) -> &str {
        &self.image
    }

    /// Whether this is a directory (as opposed to an archive).
    pub fn is_dir(&self) -> bool {
        matches!(self.kind, Kind::Dir)
    }

    /// Size of member `name`; `None` when there is nothing by that name. A member that is
    /// there but holds no content (a FIFO, a directory, a link that leads nowhere) is an
    /// error that says so.
    pub fn size(&self, name: &str) -> Result<Option<u64>, SourceError> {
        match &self.kind {
            Kind::Dir => {
                let path = self.dir_path(name)?;
                match std::fs::metadata(path) {
                    Ok(m) if m.is_file() => Ok(Some(m.len())),
                    Ok(m) => Err(self.member_error(name, not_regular(m.file_type()))),
                    Err(e)
                        if matches!(
                            e.kind(),
                            io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                        ) =>
                    {
                        Ok(None)
                    }
                    Err(e) => Err(self.member_error(name, e)),
                }
            }
            Kind::Tar { members } | Kind::Compressed { members, .. } => {
                Ok(self.lookup(members, name)?.map(|(_, _, size)| size))
            }
        }
    }

    /// Reads a small member (a manifest, index or config) into memory.
    pub fn read(&self, name: &str, max_bytes: u64) -> Result<Vec<u8>, SourceError> {
        if let Kind::Compressed {
            members, cached, ..
        } = &self.kind
        {
            let (resolved, _, _) = self
                .lookup(members, name)?
                .ok_or_else(|| self.missing(name))?;
            if let Some(content) = cached.get(resolved) {
                return Ok(content.clone());
            }
        }
        let size = self.size(name)?.ok_or_else(|| self.missing(name))?;
        if size > max_bytes {
            return Err(self.invalid(
                &format!("member `{name}`"),
                format!("{size} bytes is more than the {max_bytes} allowed for metadata"),
            ));
        }
        let mut content = Vec::with_capacity(size as usize);
        self.open_member(name)?
            .read_to_end(&mut content)
            .map_err(|e| self.member_error(name, e))?;
        Ok(content)
    }

    /// Streams member `name`, unbuffered (callers read in large blocks).
    pub fn open_member(&self, name: &str) -> Result<Box<dyn Read + Send>, SourceError> {
        let open = |path: &Path| {
            open_regular(path)
                .map(|(file, _)| file)
                .map_err(|e| self.member_error(name, e))
        };
        let locate = |members| {
            self.lookup(members, name)?
                .ok_or_else(|| self.missing(name))
        };
        match &self.kind {
            Kind::Dir => Ok(Box::new(open(&self.dir_path(name)?)?)),
            Kind::Tar { members } => {
                let (_, offset, size) = locate(members)?;
                let mut file = open(&self.path)?;
                file.seek(SeekFrom::Start(offset))
                    .map_err(|e| self.member_error(name, e))?;
                Ok(Box::new(file.take(size)))
            }
            Kind::Compressed { codec, members, .. } => {
                let (_, offset, size) = locate(members)?;
                let mut stream =
                    decoder(*codec, open(&self.path)?).map_err(|e| self.member_error(name, e))?;
                let skipped = io::copy(&mut (&mut stream).take(offset), &mut io::sink())
                    .map_err(|e| self.member_error(name, e))?;
                if skipped != offset {
                    return Err(self.invalid(&format!("member `{name}`"), "archive ends before it"));
                }
                Ok(Box::new(stream.take(size)))
            }
        }
    }

    /// Where member `name`'s content is, following links inside the archive; `None` when
    /// the archive has no member by that name.
    fn lookup<'m>(
        &self,
        members: &'m HashMap<String, Member>,
        name: &str,
    ) -> Result<Option<(&'m str, u64, u64)>, SourceError> {
        let Some(mut current) = member_name(name) else {
            return Ok(None);
        };
        let what = || format!("member `{name}`");
        for hop in 0..=MAX_LINK_HOPS {
            let Some((key, member)) = members.get_key_value(current.as_str()) else {
                if hop == 0 {
                    return Ok(None);
                }
                return Err(self.invalid(
                    &what(),
                    format!("is a link in the archive to `{current}`, which is not in the archive"),
                ));
            };
            match member {
                Member::Data { offset, size } => return Ok(Some((key, *offset, *size))),
                Member::Link {
                    target: Some(target),
                    ..
                } => current.clone_from(target),
                Member::Link { target: None, raw } => {
                    return Err(self.invalid(
                        &what(),
                        format!(
                            "is a link in the archive to `{raw}`, outside the archive; \
                             links are followed only inside it"
                        ),
                    ));
                }
                Member::Special(kind) => {
                    return Err(self.invalid(&what(), format!("not a regular file ({kind})")));
                }
            }
        }
        Err(self.invalid(&what(), "too many levels of links"))
    }

    fn dir_path(&self, name: &str) -> Result<PathBuf, SourceError> {
        let relative = member_name(name).ok_or_else(|| {
            self.invalid(
                &format!("member `{name}`"),
                "path climbs out of the image directory",
            )
        })?;
        Ok(self.path.join(relative))
    }

    pub fn invalid(&self, what: &str, message: impl Into<String>) -> SourceError {
        SourceError::Invalid {
            image: self.image.clone(),
            what: what.to_owned(),
            message: message.into(),
        }
    }

    fn missing(&self, name: &str) -> SourceError {
        self.invalid(&format!("member `{name}`"), "not found in the image")
    }

    fn member_error(&self, name: &str, source: io::Error) -> SourceError {
        SourceError::Member {
            image: self.image.clone(),
            member: name.to_owned(),
            source,
        }
    }

    fn io(&self, source: io::Error) -> SourceError {
        SourceError::Io {
            image: self.image.clone(),
            source,
        }
    }

    fn tar_error_after(&self, source: io::Error, last: &str) -> SourceError {
        let what = if last.is_empty() {
            "archive".to_owned()
        } else {
            format!("archive (after member `{last}`)")
        };
        self.invalid(
            &what,
            format!("not a readable tar: {}", printable(&source.to_string())),
        )
    }
}

/// The tar crate quotes raw header bytes after a `:` in some errors: keep only the
/// description before it, escaped and short, so an untrusted file cannot write to the
/// user's terminal.
fn printable(message: &str) -> String {
    const MAX_CHARS: usize = 160;
    let description = message.split(':').next().unwrap_or_default();
    let escaped = terminal_safe(description);
    if escaped.chars().count() > MAX_CHARS {
        let cut: String = escaped.chars().take(MAX_CHARS).collect();
        format!("{cut}...")
    } else {
        escaped.into_owned()
    }
}

/// Joins a symlink target to the directory holding the link; `None` if it climbs out.
fn resolve_relative(dir: &str, target: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for component in target.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            name => parts.push(name),
        }
    }
    Some(parts.join("/"))
}

/// Opens the regular file at `path` (following symlinks) with its length. Anything else is
/// refused by its type: checked before opening, so a device is never opened, and again on
/// the open file in case it was swapped; `O_NONBLOCK` keeps the open from waiting forever
/// for a FIFO's writer.
fn open_regular(path: &Path) -> io::Result<(File, u64)> {
    let before = std::fs::metadata(path)?;
    if !before.is_file() {
        return Err(not_regular(before.file_type()));
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path)?;
    let opened = file.metadata()?;
    if !opened.is_file() {
        return Err(not_regular(opened.file_type()));
    }
    Ok((file, opened.len()))
}

/// The error for a path that is not a regular file, naming what it is.
fn not_regular(file_type: std::fs::FileType) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("not a regular file ({})", file_type_name(file_type)),
    )
}

fn file_type_name(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "fifo";
        } else if file_type.is_char_device() {
            return "character device";
        } else if file_type.is_block_device() {
            return "block device";
        } else if file_type.is_socket() {
            return "socket";
        }
    }
    if file_type.is_dir() {
        "directory"
    } else {
        "special file"
    }
}

fn decoder(codec: Codec, file: File) -> io::Result<Box<dyn Read + Send>> {
    let buffered = BufReader::with_capacity(READ_BUFFER, file);
    Ok(match codec {
        Codec::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buffered)),
        Codec::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(buffered)?),
    })
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn member_names_are_relative_and_never_climb() {
        assert_eq!(
            member_name("./manifest.json").as_deref(),
            Some("manifest.json")
        );
        assert_eq!(
            member_name("/blobs//sha256/x").as_deref(),
            Some("blobs/sha256/x")
        );
        assert_eq!(member_name("../etc/passwd"), None);
        assert_eq!(
            resolve_relative("abc", "../x.tar").as_deref(),
            Some("x.tar")
        );
        assert_eq!(resolve_relative("", "../x.tar"), None);
    }
}
