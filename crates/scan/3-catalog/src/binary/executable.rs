//! Just enough executable-format handling for the binary analyzers: recognise ELF, Mach-O
//! and PE by their magic numbers, parse headers with the `object` crate, and read named
//! sections and virtual addresses. Everything is bounds-checked by `object`; a truncated
//! file or a section whose declared size runs past the end yields `None`, never a panic.

use object::{Object, ObjectSection};

use crate::AnalyzeError;

/// True when `content` starts with the magic number of an ELF, thin Mach-O or PE file.
/// Analyzers call this first so scripts and text files marked executable cost nothing.
pub(crate) fn has_executable_magic(content: &[u8]) -> bool {
    const MAGICS: [&[u8]; 6] = [
        b"\x7fELF",
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
        b"MZ",
    ];
    MAGICS.iter().any(|m| content.starts_with(m))
}

/// Parses the headers of an executable already recognised by [`has_executable_magic`].
pub(crate) fn parse(content: &[u8]) -> Result<object::File<'_>, AnalyzeError> {
    object::File::parse(content)
        .map_err(|e| AnalyzeError::malformed(format!("unreadable executable headers: {e}")))
}

/// The file bytes of the first section whose name is one of `names`, if it has any.
pub(crate) fn section_data<'a>(file: &object::File<'a>, names: &[&str]) -> Option<&'a [u8]> {
    file.sections()
        .filter(|s| s.name().is_ok_and(|n| names.contains(&n)))
        .find_map(|s| s.data().ok().filter(|d| !d.is_empty()))
}

/// `len` bytes at virtual address `address`, from whichever section holds them in the file.
pub(crate) fn read_address<'a>(
    file: &object::File<'a>,
    address: u64,
    len: u64,
) -> Option<&'a [u8]> {
    file.sections()
        .find_map(|s| s.data_range(address, len).ok().flatten())
}
