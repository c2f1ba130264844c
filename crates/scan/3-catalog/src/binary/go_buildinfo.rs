//! Go binaries: the module build info the Go linker embeds (what `go version -m` prints),
//! read the way Go's own `debug/buildinfo` reads it.
//!
//! The blob starts with the 14-byte magic `\xff Go buildinf:`, then the pointer size and a
//! flags byte, padded to 32 bytes. Since Go 1.18 (flag bit 2) the Go version and the module
//! info follow inline as two uvarint-length-prefixed strings; before that the header holds
//! two pointers to Go string headers (`runtime.buildVersion`, `runtime.modinfo`) that must
//! be followed through the section table. The module info is framed by 16-byte sentinels and
//! holds `path`, `mod`, `dep`, `=>` (replacement) and `build` lines.

use kabuto_types::{Ecosystem, Package};

use super::executable;
use crate::file_analyzer::{FileAnalyzer, Spec, Wants};
use crate::{AnalysisOutput, AnalyzeError, Evidence, FileInput};

const MAGIC: &[u8] = b"\xff Go buildinf:";
const HEADER_LEN: usize = 32;
/// Go aligns the blob to 16 bytes and searches only the first 64 KiB of the data region.
const ALIGN: usize = 16;
const SEARCH_LIMIT: usize = 64 * 1024;
const FLAG_BIG_ENDIAN: u8 = 0x1;
const FLAG_INLINE: u8 = 0x2;
/// No real module list comes near this; it bounds what a forged length can make us copy.
const MAX_STRING: u64 = 16 * 1024 * 1024;

/// One module line of the build info.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GoModule {
    pub path: String,
    pub version: String,
    /// The `=>` line that followed it, when the module was replaced.
    pub replace: Option<Box<GoModule>>,
}

impl GoModule {
    /// The module whose code was actually linked in: the replacement if there is one.
    fn effective(&self) -> &GoModule {
        self.replace.as_deref().unwrap_or(self)
    }
}

/// The decoded build info of one Go binary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoBuildInfo {
    /// As the toolchain writes it: `go1.22.1`, possibly followed by ` X:experiment`.
    pub go_version: String,
    pub main: Option<GoModule>,
    pub deps: Vec<GoModule>,
    /// `build` lines as key/value pairs (`-ldflags`, `GOOS`, `vcs.revision`...).
    pub settings: Vec<(String, String)>,
}

/// Reads the build info of an ELF, Mach-O or PE file. `Ok(None)` when the file is not an
/// executable or was not built by Go with module support.
pub fn read_build_info(content: &[u8]) -> Result<Option<GoBuildInfo>, AnalyzeError> {
    if !executable::has_executable_magic(content) {
        return Ok(None);
    }
    let file = executable::parse(content)?;
    let Some(region) = executable::section_data(&file, &[".go.buildinfo", "__go_buildinfo"])
        .or_else(|| executable::section_data(&file, &[".data", "__data"]))
    else {
        return Ok(None);
    };
    let searched = &region[..region.len().min(SEARCH_LIMIT)];
    let Some(start) = (0..searched.len())
        .step_by(ALIGN)
        .find(|&i| searched[i..].starts_with(MAGIC))
    else {
        return Ok(None);
    };
    let header = &region[start..];
    if header.len() < HEADER_LEN {
        return Err(AnalyzeError::malformed("Go build info header is truncated"));
    }
    let ptr_size = usize::from(header[14]);
    let flags = header[15];
    let (version, modinfo) = if flags & FLAG_INLINE != 0 {
        let (version, rest) = varint_string(&header[HEADER_LEN..])?;
        let (modinfo, _) = varint_string(rest)?;
        (version, modinfo)
    } else {
        if ptr_size != 4 && ptr_size != 8 {
            return Err(AnalyzeError::malformed(format!(
                "Go build info has pointer size {ptr_size}"
            )));
        }
        let pointers = Pointers {
            file: &file,
            size: ptr_size,
            big_endian: flags & FLAG_BIG_ENDIAN != 0,
        };
        let version = pointers.string_at(pointers.decode(&header[16..])?)?;
        let modinfo = pointers.string_at(pointers.decode(&header[16 + ptr_size..])?)?;
        (version, modinfo)
    };
    if version.is_empty() {
        return Ok(None);
    }
    let version = String::from_utf8_lossy(version).into_owned();
    let modinfo = strip_sentinels(modinfo);
    let mut info = parse_modinfo(&String::from_utf8_lossy(modinfo))?;
    info.go_version = version;
    Ok(Some(info))
}

/// A Go string encoded as a uvarint length and the bytes, as the 1.18+ inline format has it.
fn varint_string(data: &[u8]) -> Result<(&[u8], &[u8]), AnalyzeError> {
    let mut len: u64 = 0;
    for (i, &b) in data.iter().enumerate().take(10) {
        len |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            let rest = &data[i + 1..];
            return usize::try_from(len)
                .ok()
                .filter(|&n| n <= rest.len())
                .map(|n| rest.split_at(n))
                .ok_or_else(|| {
                    AnalyzeError::malformed(format!(
                        "Go build info string of {len} bytes runs past the end of the file"
                    ))
                });
        }
    }
    Err(AnalyzeError::malformed(
        "Go build info string length is not a valid varint",
    ))
}

/// Following pointers of the pre-1.18 format through the executable's sections.
struct Pointers<'f, 'a> {
    file: &'f object::File<'a>,
    size: usize,
    big_endian: bool,
}

impl<'a> Pointers<'_, 'a> {
    fn decode(&self, bytes: &[u8]) -> Result<u64, AnalyzeError> {
        let raw = bytes
            .get(..self.size)
            .ok_or_else(|| AnalyzeError::malformed("Go build info pointer is truncated"))?;
        let mut buf = [0u8; 8];
        Ok(match (self.size, self.big_endian) {
            (4, false) => u64::from(u32::from_le_bytes([raw[0], raw[1], raw[2], raw[3]])),
            (4, true) => u64::from(u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]])),
            (_, false) => {
                buf.copy_from_slice(raw);
                u64::from_le_bytes(buf)
            }
            (_, true) => {
                buf.copy_from_slice(raw);
                u64::from_be_bytes(buf)
            }
        })
    }

    /// The bytes of the Go string whose header (data pointer, length) is at `address`.
    fn string_at(&self, address: u64) -> Result<&'a [u8], AnalyzeError> {
        let unresolved = |what: &str| {
            AnalyzeError::malformed(format!(
                "Go build info {what} at {address:#x} is not in the file"
            ))
        };
        let header = executable::read_address(self.file, address, 2 * self.size as u64)
            .ok_or_else(|| unresolved("string header"))?;
        let data = self.decode(header)?;
        let len = self.decode(&header[self.size..])?;
        if len == 0 {
            return Ok(&[]);
        }
        if len > MAX_STRING {
            return Err(AnalyzeError::malformed(format!(
                "Go build info string claims {len} bytes"
            )));
        }
        executable::read_address(self.file, data, len).ok_or_else(|| unresolved("string data"))
    }
}

/// Removes the 16-byte sentinels `cmd/go` puts around the module info; anything not framed
/// that way is not module info (Go does the same check).
fn strip_sentinels(modinfo: &[u8]) -> &[u8] {
    let n = modinfo.len();
    if n >= 33 && modinfo[n - 17] == b'\n' {
        &modinfo[16..n - 16]
    } else {
        &[]
    }
}

/// Parses the module-info text (`runtime/debug.ParseBuildInfo` format).
pub fn parse_modinfo(text: &str) -> Result<GoBuildInfo, AnalyzeError> {
    let mut info = GoBuildInfo::default();
    // Which module an `=>` line replaces: the main module or the last dep.
    let mut last_is_dep = false;
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        let Some((word, rest)) = line.split_once('\t') else {
            continue;
        };
        match word {
            "path" | "go" => {}
            "mod" | "dep" | "=>" => {
                let mut fields = rest.split('\t');
                let module = GoModule {
                    path: fields.next().unwrap_or_default().to_owned(),
                    version: fields.next().unwrap_or_default().to_owned(),
                    replace: None,
                };
                match word {
                    "mod" => {
                        info.main = Some(module);
                        last_is_dep = false;
                    }
                    "dep" => {
                        info.deps.push(module);
                        last_is_dep = true;
                    }
                    _ => {
                        let target = if last_is_dep {
                            info.deps.last_mut()
                        } else {
                            info.main.as_mut()
                        };
                        let target = target.ok_or_else(|| {
                            AnalyzeError::at_line(
                                line_no,
                                "replacement `=>` without a module before it",
                            )
                        })?;
                        target.replace = Some(Box::new(module));
                    }
                }
            }
            "build" => {
                if let Some((key, value)) = rest.split_once('=') {
                    info.settings.push((key.to_owned(), unquote(value)));
                }
            }
            _ => {}
        }
    }
    Ok(info)
}

/// Undoes the `strconv.Quote` Go applies to build setting values with spaces or quotes.
fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) else {
        return value.to_owned();
    };
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some(other) => out.push(other),
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The version a `-ldflags "-X pkg.version=v1.2.3"` setting stamps into the program, which
/// Trivy reports for a main module built as `(devel)`.
fn ldflags_version(settings: &[(String, String)]) -> Option<String> {
    let ldflags = settings.iter().find(|(k, _)| k == "-ldflags")?;
    let mut tokens = ldflags.1.split_whitespace();
    while let Some(token) = tokens.next() {
        let assignment = match token.strip_prefix("-X") {
            Some("") => tokens.next()?,
            Some(rest) => match rest.strip_prefix('=') {
                Some(a) => a,
                None => continue,
            },
            None => continue,
        };
        let assignment = assignment.trim_matches(|c| c == '\'' || c == '"');
        let Some((key, value)) = assignment.split_once('=') else {
            continue;
        };
        let key = key.to_ascii_lowercase();
        if (key.ends_with(".version") || key.ends_with(".ver")) && looks_like_semver(value) {
            return Some(value.to_owned());
        }
    }
    None
}

fn looks_like_semver(value: &str) -> bool {
    let core = value.strip_prefix('v').unwrap_or(value);
    let core = core.split(['-', '+']).next().unwrap_or_default();
    let parts: Vec<&str> = core.split('.').collect();
    (1..=3).contains(&parts.len())
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// `go1.22.1 X:loopvar` -> `v1.22.1`, the `stdlib` version Trivy and the Go vulnerability
/// database use. `None` for development toolchains (`devel go1.23-abc`).
fn stdlib_version(go_version: &str) -> Option<String> {
    let release = go_version.split_whitespace().next()?.strip_prefix("go")?;
    Some(format!("v{release}"))
}

/// Reports the main module, `stdlib` and every dependency of a Go binary.
pub struct GoBinaryAnalyzer;

const NAME: &str = "go-binary";

impl FileAnalyzer for GoBinaryAnalyzer {
    const SPEC: Spec = Spec {
        name: NAME,
        version: 1,
        evidence: Evidence::Installed,
        wants: Wants::Executable,
    };
    fn parse(&self, file: FileInput<'_>) -> Result<AnalysisOutput, AnalyzeError> {
        let Some(info) = read_build_info(file.content)? else {
            return Ok(AnalysisOutput::default());
        };
        let package =
            |name: &str, version: &str| Package::new(Ecosystem::Go, name, version, file.path, NAME);
        let mut packages = Vec::with_capacity(info.deps.len() + 2);
        let main = info.main.as_ref().map(GoModule::effective);
        if let Some(main) = main.filter(|m| !m.path.is_empty()) {
            let version = match main.version.as_str() {
                "" | "(devel)" => ldflags_version(&info.settings).unwrap_or_default(),
                v => v.to_owned(),
            };
            packages.push(package(&main.path, &version));
        }
        if let Some(version) = stdlib_version(&info.go_version) {
            packages.push(package("stdlib", &version));
        }
        packages.extend(
            info.deps
                .iter()
                .map(GoModule::effective)
                .filter(|m| !m.path.is_empty())
                .map(|m| package(&m.path, &m.version)),
        );
        Ok(AnalysisOutput {
            packages,
            ..AnalysisOutput::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modinfo_lines_with_replacements() {
        let info = parse_modinfo(
            "path\texample.com/app\nmod\texample.com/app\t(devel)\t\n\
             dep\tgolang.org/x/text\tv0.3.0\th1:x=\n=>\tgolang.org/x/text\tv0.3.8\th1:y=\n\
             dep\texample.com/local\tv1.0.0\n=>\t../local\t\t\n\
             build\t-ldflags=\"-s -X 'main.Version=v2.1.0'\"\n",
        )
        .unwrap();
        assert_eq!(info.deps.len(), 2);
        assert_eq!(info.deps[0].effective().version, "v0.3.8");
        assert_eq!(info.deps[1].effective().path, "../local");
        assert_eq!(ldflags_version(&info.settings).as_deref(), Some("v2.1.0"));
    }

    #[test]
    fn stdlib_version_drops_experiments_and_devel() {
        assert_eq!(
            stdlib_version("go1.22.1 X:loopvar").as_deref(),
            Some("v1.22.1")
        );
        assert_eq!(stdlib_version("devel go1.23-abc"), None);
    }

    #[test]
    fn ldflags_without_version_key_or_semver_are_ignored() {
        let settings = |v: &str| vec![("-ldflags".to_owned(), v.to_owned())];
        assert_eq!(ldflags_version(&settings("-X main.commit=abc")), None);
        assert_eq!(ldflags_version(&settings("-X main.version=dev")), None);
        assert_eq!(
            ldflags_version(&settings("-X=main.ver=1.2")).as_deref(),
            Some("1.2")
        );
    }

    #[test]
    fn unterminated_varint_and_overlong_string_are_errors() {
        assert!(varint_string(&[0x80; 12]).is_err());
        assert!(varint_string(&[5, b'a']).is_err());
        assert_eq!(
            varint_string(&[1, b'a', b'b']).unwrap(),
            (&b"a"[..], &b"b"[..])
        );
    }
}
