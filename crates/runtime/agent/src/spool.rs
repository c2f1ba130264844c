//! A bounded on-disk queue of audit events that survives a restart: JSON lines in numbered
//! segment files, one cursor per reader (the event file, the server). An append returns only
//! after the line is on disk (`fsync`), so an acknowledged event is never lost; a reader's
//! position moves only when it acknowledges what it delivered, so a crash before that
//! delivers the events again (at least once). A segment is deleted when every reader is past
//! it. When the spool holds `max_bytes`, an append is refused ([`SpoolError::Full`]): the
//! caller counts the event as dropped, and nothing already spooled is overwritten.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use kabuto_api::RuntimeAuditEvent;

/// Why the spool refused an operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SpoolError {
    #[error("spool {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("spool {dir} is full ({max_bytes} bytes undelivered): the event is dropped")]
    Full { dir: PathBuf, max_bytes: u64 },
    #[error("spool {path}: line {line} is not an audit event: {source}")]
    Corrupt {
        path: PathBuf,
        line: usize,
        #[source]
        source: serde_json::Error,
    },
    #[error("spool {path}: unreadable cursor `{text}`")]
    Cursor { path: PathBuf, text: String },
    #[error("spool has no reader named `{0}`")]
    UnknownReader(String),
}

/// Where a reader stands: a segment and a byte offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Position {
    segment: u64,
    offset: u64,
}

/// The spool directory and its readers.
#[derive(Debug)]
pub struct Spool {
    dir: PathBuf,
    max_bytes: u64,
    segment_bytes: u64,
    readers: Vec<(String, Position)>,
    /// The segment appended to, open for appending.
    head: u64,
    head_file: File,
    head_len: u64,
}

const SEGMENT_PREFIX: &str = "segment-";
const SEGMENT_SUFFIX: &str = ".jsonl";

impl Spool {
    /// Opens (creating) the spool at `dir` holding at most `max_bytes`, with these readers.
    /// A line torn by a crash mid-append (no final newline) is cut off.
    pub fn open(dir: &Path, max_bytes: u64, readers: &[&str]) -> Result<Spool, SpoolError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| SpoolError::Io { path, source }
        };
        fs::create_dir_all(dir).map_err(io(dir))?;
        let segments = segments(dir)?;
        let head = segments.last().copied().unwrap_or(1);
        let head_path = segment_path(dir, head);
        let head_file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&head_path)
            .map_err(io(&head_path))?;
        let head_len = cut_torn_line(&head_file).map_err(io(&head_path))?;
        let first = segments.first().copied().unwrap_or(head);
        let mut spool = Spool {
            dir: dir.to_owned(),
            max_bytes,
            segment_bytes: (max_bytes / 8).max(4096),
            readers: Vec::new(),
            head,
            head_file,
            head_len,
        };
        for name in readers {
            let position = spool.read_cursor(name)?.unwrap_or(Position {
                segment: first,
                offset: 0,
            });
            spool.readers.push(((*name).to_owned(), position));
        }
        Ok(spool)
    }

    /// Appends one event; returns once it is on disk.
    pub fn append(&mut self, event: &RuntimeAuditEvent) -> Result<(), SpoolError> {
        match self.append_all(std::slice::from_ref(event)) {
            (_, Some(e)) => Err(e),
            (_, None) => Ok(()),
        }
    }

    /// Appends `events` in order and syncs once for all of them (a busy container's batch
    /// costs one fsync, not one per event); returns how many are kept. An error (the spool
    /// full, a write or the sync failing) keeps none after it, and none at all when the sync
    /// fails.
    pub fn append_all(&mut self, events: &[RuntimeAuditEvent]) -> (usize, Option<SpoolError>) {
        let mut kept = 0;
        let written = self.write_lines(events, &mut kept);
        match (written, self.sync_head()) {
            (_, Err(e)) => (0, Some(e)),
            (Err(e), Ok(())) => (kept, Some(e)),
            (Ok(()), Ok(())) => (kept, None),
        }
    }

    fn write_lines(
        &mut self,
        events: &[RuntimeAuditEvent],
        kept: &mut usize,
    ) -> Result<(), SpoolError> {
        if events.is_empty() {
            return Ok(());
        }
        let mut undelivered = self.undelivered_bytes()?;
        for event in events {
            let mut line = serde_json::to_vec(event).map_err(|source| SpoolError::Corrupt {
                path: self.dir.clone(),
                line: 0,
                source,
            })?;
            line.push(b'\n');
            let len = line.len() as u64;
            if undelivered + len > self.max_bytes {
                return Err(SpoolError::Full {
                    dir: self.dir.clone(),
                    max_bytes: self.max_bytes,
                });
            }
            if self.head_len > 0 && self.head_len + len > self.segment_bytes {
                self.sync_head()?;
                self.rotate()?;
            }
            self.head_file
                .write_all(&line)
                .map_err(|source| SpoolError::Io {
                    path: segment_path(&self.dir, self.head),
                    source,
                })?;
            self.head_len += len;
            undelivered += len;
            *kept += 1;
        }
        Ok(())
    }

    fn sync_head(&self) -> Result<(), SpoolError> {
        self.head_file.sync_data().map_err(|source| SpoolError::Io {
            path: segment_path(&self.dir, self.head),
            source,
        })
    }

    /// Up to `limit` events `reader` has not acknowledged, oldest first, and the position to
    /// acknowledge once they are delivered.
    pub fn pending(
        &self,
        reader: &str,
        limit: usize,
    ) -> Result<(Vec<RuntimeAuditEvent>, Position), SpoolError> {
        let mut at = self.position(reader)?;
        let mut events = Vec::new();
        while events.len() < limit {
            let path = segment_path(&self.dir, at.segment);
            let file = match File::open(&path) {
                Ok(file) => file,
                Err(e) if e.kind() == io::ErrorKind::NotFound && at.segment < self.head => {
                    at = Position {
                        segment: at.segment + 1,
                        offset: 0,
                    };
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::NotFound => break,
                Err(source) => return Err(SpoolError::Io { path, source }),
            };
            let mut reader = BufReader::new(file);
            reader
                .seek(SeekFrom::Start(at.offset))
                .map_err(|source| SpoolError::Io {
                    path: path.clone(),
                    source,
                })?;
            let mut line = String::new();
            let mut number = 0;
            while events.len() < limit {
                line.clear();
                let read = reader
                    .read_line(&mut line)
                    .map_err(|source| SpoolError::Io {
                        path: path.clone(),
                        source,
                    })?;
                if read == 0 || !line.ends_with('\n') {
                    break;
                }
                number += 1;
                let event = serde_json::from_str(&line).map_err(|source| SpoolError::Corrupt {
                    path: path.clone(),
                    line: number,
                    source,
                })?;
                events.push(event);
                at.offset += read as u64;
            }
            if events.len() >= limit || at.segment >= self.head {
                break;
            }
            at = Position {
                segment: at.segment + 1,
                offset: 0,
            };
        }
        Ok((events, at))
    }

    /// Records that `reader` delivered everything before `position`; deletes segments every
    /// reader is past.
    pub fn acknowledge(&mut self, reader: &str, position: Position) -> Result<(), SpoolError> {
        let slot = self
            .readers
            .iter_mut()
            .find(|(name, _)| name == reader)
            .ok_or_else(|| SpoolError::UnknownReader(reader.to_owned()))?;
        slot.1 = position;
        let path = self.dir.join(format!("cursor-{reader}"));
        let tmp = self.dir.join(format!(".cursor-{reader}.tmp"));
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| SpoolError::Io { path, source }
        };
        let mut file = File::create(&tmp).map_err(io(&tmp))?;
        writeln!(file, "{} {}", position.segment, position.offset).map_err(io(&tmp))?;
        file.sync_all().map_err(io(&tmp))?;
        fs::rename(&tmp, &path).map_err(io(&path))?;
        let oldest = self.readers.iter().map(|(_, p)| p.segment).min();
        for segment in segments(&self.dir)? {
            if oldest.is_some_and(|oldest| segment < oldest) {
                let path = segment_path(&self.dir, segment);
                fs::remove_file(&path).map_err(io(&path))?;
            }
        }
        Ok(())
    }

    /// Bytes not yet acknowledged by the slowest reader.
    pub fn undelivered_bytes(&self) -> Result<u64, SpoolError> {
        let Some(oldest) = self.readers.iter().map(|(_, p)| *p).min() else {
            return Ok(0);
        };
        let mut total = 0;
        for segment in segments(&self.dir)?
            .into_iter()
            .filter(|s| *s >= oldest.segment)
        {
            let len = if segment == self.head {
                self.head_len
            } else {
                let path = segment_path(&self.dir, segment);
                fs::metadata(&path)
                    .map_err(|source| SpoolError::Io { path, source })?
                    .len()
            };
            total += len;
            if segment == oldest.segment {
                total -= oldest.offset.min(len);
            }
        }
        Ok(total)
    }

    fn position(&self, reader: &str) -> Result<Position, SpoolError> {
        self.readers
            .iter()
            .find(|(name, _)| name == reader)
            .map(|(_, p)| *p)
            .ok_or_else(|| SpoolError::UnknownReader(reader.to_owned()))
    }

    fn read_cursor(&self, reader: &str) -> Result<Option<Position>, SpoolError> {
        let path = self.dir.join(format!("cursor-{reader}"));
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(SpoolError::Io { path, source }),
        };
        let parsed = text.trim().split_once(' ').and_then(|(segment, offset)| {
            Some(Position {
                segment: segment.parse().ok()?,
                offset: offset.parse().ok()?,
            })
        });
        parsed.map(Some).ok_or_else(|| SpoolError::Cursor {
            path,
            text: text.trim().to_owned(),
        })
    }

    fn rotate(&mut self) -> Result<(), SpoolError> {
        self.head += 1;
        let path = segment_path(&self.dir, self.head);
        self.head_file = OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&path)
            .map_err(|source| SpoolError::Io { path, source })?;
        self.head_len = 0;
        Ok(())
    }
}

fn segment_path(dir: &Path, segment: u64) -> PathBuf {
    dir.join(format!("{SEGMENT_PREFIX}{segment:020}{SEGMENT_SUFFIX}"))
}

/// The segment numbers in `dir`, ascending.
fn segments(dir: &Path) -> Result<Vec<u64>, SpoolError> {
    let entries = fs::read_dir(dir).map_err(|source| SpoolError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let mut found: Vec<u64> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name();
            name.to_str()?
                .strip_prefix(SEGMENT_PREFIX)?
                .strip_suffix(SEGMENT_SUFFIX)?
                .parse()
                .ok()
        })
        .collect();
    found.sort_unstable();
    Ok(found)
}

/// Cuts a final line without its newline (a crash mid-append); returns the length kept.
fn cut_torn_line(file: &File) -> io::Result<u64> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(0);
    }
    let mut reader = BufReader::new(file);
    let mut kept = 0u64;
    let mut line = Vec::new();
    loop {
        line.clear();
        let read = reader.read_until(b'\n', &mut line)?;
        if read == 0 || line.last() != Some(&b'\n') {
            break;
        }
        kept += read as u64;
    }
    if kept < len {
        file.set_len(kept)?;
    }
    Ok(kept)
}
