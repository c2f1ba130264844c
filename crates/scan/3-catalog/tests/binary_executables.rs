//! Go build info and cargo-auditable analyzers on executables built here.
//!
//! Neither a Go nor a `cargo auditable` toolchain exists on this machine, and foreign
//! binaries are not committed, so each test writes a minimal but well-formed ELF executable
//! (`ET_EXEC`, real section headers and addresses) with the `object` crate and puts into it
//! the exact bytes the real linkers emit: Go's `.go.buildinfo` blob in both the pre-1.18
//! pointer layout and the 1.18+ inline layout (framed module info, uvarint strings), and
//! cargo-auditable's zlib-compressed `.dep-v0` JSON.

// Test helpers outside #[test] fns: a fixture that fails to build should panic.
#![allow(clippy::unwrap_used)]

use std::io::Write;

use kabuto_catalog::binary::{GoBinaryAnalyzer, RustAuditableAnalyzer};
use kabuto_catalog::{AnalyzeError, Analyzer, FileInput, FileMeta};
use object::Endianness;
use object::elf;
use object::write::elf::{FileHeader, SectionHeader, Writer};

/// One section of the test executable: name, virtual address, contents.
struct Section<'a> {
    name: &'a str,
    address: u64,
    data: Vec<u8>,
}

fn elf_executable(sections: &[Section<'_>], is_64: bool, endian: Endianness) -> Vec<u8> {
    let mut out = Vec::new();
    let mut writer = Writer::new(endian, is_64, &mut out);
    writer.reserve_file_header();
    let names: Vec<_> = sections
        .iter()
        .map(|s| {
            (
                writer.add_section_name(s.name.as_bytes()),
                writer.reserve_section_index(),
            )
        })
        .collect();
    writer.reserve_shstrtab_section_index();
    let offsets: Vec<usize> = sections
        .iter()
        .map(|s| writer.reserve(s.data.len(), 16))
        .collect();
    writer.reserve_shstrtab();
    writer.reserve_section_headers();

    writer
        .write_file_header(&FileHeader {
            os_abi: 0,
            abi_version: 0,
            e_type: elf::ET_EXEC,
            e_machine: if is_64 { elf::EM_X86_64 } else { elf::EM_MIPS },
            e_entry: 0,
            e_flags: 0,
        })
        .unwrap();
    for section in sections {
        writer.write_align(16);
        writer.write(&section.data);
    }
    writer.write_shstrtab();
    writer.write_null_section_header();
    for ((section, (name, _)), offset) in sections.iter().zip(&names).zip(&offsets) {
        writer.write_section_header(&SectionHeader {
            name: Some(*name),
            sh_type: elf::SHT_PROGBITS,
            sh_flags: u64::from(elf::SHF_ALLOC | elf::SHF_WRITE),
            sh_addr: section.address,
            sh_offset: *offset as u64,
            sh_size: section.data.len() as u64,
            sh_link: 0,
            sh_info: 0,
            sh_addralign: 16,
            sh_entsize: 0,
        });
    }
    writer.write_shstrtab_section_header();
    out
}

const GO_MAGIC: &[u8] = b"\xff Go buildinf:";
/// `cmd/go/internal/modload` infoStart / infoEnd sentinels framing the module info.
const INFO_START: &[u8] = b"0w\xaf\x0c\x92t\x08\x02A\xe1\xc1\x07\xe6\xd6\x18\xe6";
const INFO_END: &[u8] = b"\xf92C1\x86\x18 r\x00\x82B\x10A\x16\xd8\xf2";

fn framed(modinfo: &str) -> Vec<u8> {
    [INFO_START, modinfo.as_bytes(), INFO_END].concat()
}

fn uvarint(mut n: usize, out: &mut Vec<u8>) {
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

/// A Go 1.18+ binary: version and module info inline after the 32-byte header.
fn go_inline_binary(go_version: &str, modinfo: &str) -> Vec<u8> {
    let mut blob = GO_MAGIC.to_vec();
    blob.extend([8, 0x2]);
    blob.resize(32, 0);
    for s in [go_version.as_bytes(), &framed(modinfo)] {
        uvarint(s.len(), &mut blob);
        blob.extend_from_slice(s);
    }
    elf_executable(
        &[
            Section {
                name: ".text",
                address: 0x401000,
                data: vec![0xc3; 64],
            },
            Section {
                name: ".go.buildinfo",
                address: 0x4a0000,
                data: blob,
            },
        ],
        true,
        Endianness::Little,
    )
}

/// A pre-1.18 binary: the header points at `runtime.buildVersion` and `runtime.modinfo`
/// string headers in `.data`, which point at the bytes in `.rodata`.
fn go_pointer_binary(go_version: &str, modinfo: &str, is_64: bool, endian: Endianness) -> Vec<u8> {
    let ptr = if is_64 { 8 } else { 4 };
    let word = |v: u64| -> Vec<u8> {
        match (is_64, endian) {
            (true, Endianness::Little) => v.to_le_bytes().to_vec(),
            (true, Endianness::Big) => v.to_be_bytes().to_vec(),
            (false, Endianness::Little) => (v as u32).to_le_bytes().to_vec(),
            (false, Endianness::Big) => (v as u32).to_be_bytes().to_vec(),
        }
    };
    let (rodata_at, data_at, buildinfo_at) = (0x10000u64, 0x20000u64, 0x30000u64);
    let modinfo = framed(modinfo);
    let rodata = [go_version.as_bytes(), &modinfo].concat();
    let data = [
        word(rodata_at),
        word(go_version.len() as u64),
        word(rodata_at + go_version.len() as u64),
        word(modinfo.len() as u64),
    ]
    .concat();
    let mut blob = GO_MAGIC.to_vec();
    blob.extend([ptr, u8::from(endian == Endianness::Big)]);
    blob.extend(word(data_at));
    blob.extend(word(data_at + 2 * u64::from(ptr)));
    blob.resize(32, 0);
    elf_executable(
        &[
            Section {
                name: ".rodata",
                address: rodata_at,
                data: rodata,
            },
            Section {
                name: ".data",
                address: data_at,
                data,
            },
            Section {
                name: ".go.buildinfo",
                address: buildinfo_at,
                data: blob,
            },
        ],
        is_64,
        endian,
    )
}

const EXECUTABLE: FileMeta = FileMeta {
    size: 0,
    mode: 0o755,
};

fn packages(analyzer: &dyn Analyzer, content: &[u8]) -> Vec<(String, String)> {
    let out = analyzer
        .analyze(FileInput {
            path: "usr/local/bin/app",
            content,
        })
        .unwrap();
    for p in &out.packages {
        assert_eq!(p.locations[0].path, "usr/local/bin/app");
        assert_eq!(p.found_by, analyzer.name());
    }
    let mut found: Vec<_> = out
        .packages
        .into_iter()
        .map(|p| (p.name, p.version))
        .collect();
    found.sort();
    found
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut v: Vec<_> = list
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
    v.sort();
    v
}

/// The module info of Trivy's `executable_gobinary` fixture (as `go version -m` shows it).
const TRIVY_TEST_MODINFO: &str = "path\tgithub.com/aquasecurity/test\n\
mod\tgithub.com/aquasecurity/test\t(devel)\t\n\
dep\tgithub.com/aquasecurity/go-pep440-version\tv0.0.0-20210121094942-22b2f8951d46\th1:abc=\n\
dep\tgithub.com/aquasecurity/go-version\tv0.0.0-20210121072130-637058cfe492\th1:def=\n\
dep\tgolang.org/x/xerrors\tv0.0.0-20200804184101-5ec99f83aff1\th1:ghi=\n";

fn trivy_test_expected() -> Vec<(String, String)> {
    pairs(&[
        ("github.com/aquasecurity/test", ""),
        ("stdlib", "v1.15.2"),
        (
            "github.com/aquasecurity/go-pep440-version",
            "v0.0.0-20210121094942-22b2f8951d46",
        ),
        (
            "github.com/aquasecurity/go-version",
            "v0.0.0-20210121072130-637058cfe492",
        ),
        ("golang.org/x/xerrors", "v0.0.0-20200804184101-5ec99f83aff1"),
    ])
}

#[test]
fn go_pointer_format_in_every_word_size_and_byte_order() {
    for (is_64, endian) in [
        (true, Endianness::Little),
        (true, Endianness::Big),
        (false, Endianness::Little),
        (false, Endianness::Big),
    ] {
        let binary = go_pointer_binary("go1.15.2", TRIVY_TEST_MODINFO, is_64, endian);
        assert_eq!(
            packages(&GoBinaryAnalyzer, &binary),
            trivy_test_expected(),
            "64-bit {is_64}, {endian:?}"
        );
    }
}

#[test]
fn go_inline_format_with_replacements_and_ldflags_version() {
    let modinfo = "path\tgithub.com/aquasecurity/test\n\
        mod\tgithub.com/aquasecurity/test\t(devel)\t\n\
        dep\tgolang.org/x/net\tv0.1.0\th1:a=\n\
        =>\tgolang.org/x/net\tv0.17.0\th1:b=\n\
        dep\texample.com/forked\tv1.0.0\th1:c=\n\
        =>\tgithub.com/me/fork\tv1.0.1-fix\th1:d=\n\
        build\t-buildmode=exe\n\
        build\t-ldflags=\"-s -w -X main.version=v1.0.0\"\n\
        build\tGOOS=linux\n";
    let binary = go_inline_binary("go1.22.1 X:loopvar", modinfo);
    assert_eq!(
        packages(&GoBinaryAnalyzer, &binary),
        pairs(&[
            ("github.com/aquasecurity/test", "v1.0.0"),
            ("stdlib", "v1.22.1"),
            ("golang.org/x/net", "v0.17.0"),
            ("github.com/me/fork", "v1.0.1-fix"),
        ])
    );
}

#[test]
fn go_binary_without_modules_reports_only_stdlib() {
    // `go build file.go` outside a module: module info is empty (no sentinels).
    let mut blob = GO_MAGIC.to_vec();
    blob.extend([8, 0x2]);
    blob.resize(32, 0);
    blob.extend([8]);
    blob.extend(b"go1.22.1");
    blob.extend([0]);
    let binary = elf_executable(
        &[Section {
            name: ".go.buildinfo",
            address: 0x1000,
            data: blob,
        }],
        true,
        Endianness::Little,
    );
    assert_eq!(
        packages(&GoBinaryAnalyzer, &binary),
        pairs(&[("stdlib", "v1.22.1")])
    );
}

#[test]
fn non_go_files_yield_nothing() {
    let plain = elf_executable(
        &[Section {
            name: ".data",
            address: 0x1000,
            data: vec![0; 256],
        }],
        true,
        Endianness::Little,
    );
    for content in [&b"#!/bin/sh\necho hi\n"[..], b"", &plain] {
        assert_eq!(packages(&GoBinaryAnalyzer, content), vec![]);
        assert_eq!(packages(&RustAuditableAnalyzer, content), vec![]);
    }
}

#[test]
fn only_executable_files_are_wanted() {
    for analyzer in [&GoBinaryAnalyzer as &dyn Analyzer, &RustAuditableAnalyzer] {
        assert!(analyzer.wants("usr/bin/app", &EXECUTABLE));
        assert!(!analyzer.wants(
            "usr/bin/app",
            &FileMeta {
                size: 10,
                mode: 0o644
            }
        ));
    }
}

#[test]
fn hostile_go_binaries_are_errors_not_panics() {
    let good = go_pointer_binary("go1.15.2", TRIVY_TEST_MODINFO, true, Endianness::Little);
    // Every truncation of a valid binary: headers cut, sections past the end.
    for len in (0..good.len()).step_by(7) {
        let _ = GoBinaryAnalyzer.analyze(FileInput {
            path: "a",
            content: &good[..len],
        });
    }
    // A string header claiming a gigantic length.
    let mut huge = go_pointer_binary("go1.15.2", TRIVY_TEST_MODINFO, true, Endianness::Little);
    let at = find(&huge, &(TRIVY_TEST_MODINFO.len() as u64 + 32).to_le_bytes()).unwrap();
    huge[at..at + 8].copy_from_slice(&u64::MAX.to_le_bytes());
    let err = GoBinaryAnalyzer
        .analyze(FileInput {
            path: "a",
            content: &huge,
        })
        .unwrap_err();
    assert!(matches!(err, AnalyzeError::Malformed { .. }), "{err}");
    // An inline varint length past the end of the file.
    let mut blob = GO_MAGIC.to_vec();
    blob.extend([8, 0x2]);
    blob.resize(32, 0);
    blob.extend([0xff, 0xff, 0x7f, b'g', b'o']);
    let inline = elf_executable(
        &[Section {
            name: ".go.buildinfo",
            address: 0x1000,
            data: blob,
        }],
        true,
        Endianness::Little,
    );
    let err = GoBinaryAnalyzer
        .analyze(FileInput {
            path: "a",
            content: &inline,
        })
        .unwrap_err();
    assert!(err.to_string().contains("runs past the end"), "{err}");
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn zlib(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).unwrap();
    encoder.finish().unwrap()
}

fn auditable_binary(compressed: Vec<u8>) -> Vec<u8> {
    elf_executable(
        &[
            Section {
                name: ".text",
                address: 0x1000,
                data: vec![0xc3; 16],
            },
            Section {
                name: ".dep-v0",
                address: 0x2000,
                data: compressed,
            },
        ],
        true,
        Endianness::Little,
    )
}

/// The audit data of Trivy's `executable_rust` fixture, plus a build-only dependency.
const AUDIT_JSON: &str = r#"{"packages":[
 {"name":"crate_with_features","version":"0.1.0","source":"local","dependencies":[1],"root":true},
 {"name":"library_crate","version":"0.1.0","source":"local"},
 {"name":"cc","version":"1.0.83","source":"crates.io","kind":"build"}]}"#;

#[test]
fn cargo_auditable_runtime_crates() {
    assert_eq!(
        packages(
            &RustAuditableAnalyzer,
            &auditable_binary(zlib(AUDIT_JSON.as_bytes()))
        ),
        pairs(&[("crate_with_features", "0.1.0"), ("library_crate", "0.1.0")])
    );
}

#[test]
fn cargo_auditable_bombs_and_garbage_are_errors() {
    // 64 MiB of spaces compresses to ~64 KiB; we stop inflating at 8 MiB.
    let bomb = zlib(&vec![b' '; 64 * 1024 * 1024]);
    let err = RustAuditableAnalyzer
        .analyze(FileInput {
            path: "a",
            content: &auditable_binary(bomb),
        })
        .unwrap_err();
    assert!(err.to_string().contains("inflates past"), "{err}");
    for bad in [b"not zlib".to_vec(), zlib(b"{\"packages\":1}")] {
        let err = RustAuditableAnalyzer
            .analyze(FileInput {
                path: "a",
                content: &auditable_binary(bad),
            })
            .unwrap_err();
        assert!(err.to_string().contains(".dep-v0"), "{err}");
    }
}

#[test]
fn go_inline_format_in_mach_o() {
    // Mach-O keeps the blob in `__DATA,__go_buildinfo`; the inline format needs no addresses.
    let mut blob = GO_MAGIC.to_vec();
    blob.extend([8, 0x2]);
    blob.resize(32, 0);
    for s in [
        &b"go1.20.6"[..],
        &framed("path\tgo.etcd.io/bbolt\nmod\tgo.etcd.io/bbolt\tv1.3.5\t\n"),
    ] {
        uvarint(s.len(), &mut blob);
        blob.extend_from_slice(s);
    }
    let mut macho = object::write::Object::new(
        object::BinaryFormat::MachO,
        object::Architecture::Aarch64,
        Endianness::Little,
    );
    let section = macho.add_section(
        b"__DATA".to_vec(),
        b"__go_buildinfo".to_vec(),
        object::SectionKind::Data,
    );
    macho.append_section_data(section, &blob, 16);
    assert_eq!(
        packages(&GoBinaryAnalyzer, &macho.write().unwrap()),
        pairs(&[("go.etcd.io/bbolt", "v1.3.5"), ("stdlib", "v1.20.6")])
    );
}
