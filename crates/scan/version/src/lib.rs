//! Version parsing and ordering for every ecosystem Kabuto matches: dpkg, rpm, apk, SemVer/npm, PEP 440, Maven, Go, RubyGems, NuGet, Composer, Cargo.
