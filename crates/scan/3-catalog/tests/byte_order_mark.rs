//! Windows editors and .NET tools start JSON, XML and text manifests with a UTF-8 byte order
//! mark. Every manifest and lockfile Kabuto reads gives the same packages with one as
//! without; before, a BOM made JSON, XML and TOML files "invalid" and hid the first line of
//! text formats.

use kabuto_catalog::{AnalysisOutput, FileInput, FileMeta, registry};

/// (path, content): one small real-shaped file per format, each naming at least one package.
const MANIFESTS: &[(&str, &str)] = &[
    (
        "app/node_modules/left-pad/package.json",
        r#"{"name": "left-pad", "version": "1.3.0", "license": "WTFPL"}"#,
    ),
    (
        "app/package-lock.json",
        r#"{"lockfileVersion": 3, "packages": {"node_modules/ms": {"version": "2.1.2"}}}"#,
    ),
    (
        "app/yarn.lock",
        "# yarn lockfile v1\n\nms@^2.1.2:\n  version \"2.1.2\"\n",
    ),
    (
        "app/pnpm-lock.yaml",
        "lockfileVersion: '6.0'\npackages:\n  /ms@2.1.2:\n    dev: false\n",
    ),
    (
        "app/composer.lock",
        r#"{"packages": [{"name": "monolog/monolog", "version": "2.9.1"}], "packages-dev": []}"#,
    ),
    (
        "app/vendor/composer/installed.json",
        r#"{"packages": [{"name": "monolog/monolog", "version": "2.9.1"}], "dev-package-names": []}"#,
    ),
    (
        "app/App.deps.json",
        r#"{"libraries": {"Newtonsoft.Json/13.0.1": {"type": "package"}}}"#,
    ),
    (
        "app/packages.lock.json",
        r#"{"version": 1, "dependencies": {"net8.0": {"Newtonsoft.Json": {"type": "Direct", "resolved": "13.0.3"}}}}"#,
    ),
    (
        "app/packages.config",
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<packages>\n  <package id=\"Newtonsoft.Json\" version=\"13.0.1\" />\n</packages>\n",
    ),
    (
        "app/Cargo.lock",
        "version = 4\n\n[[package]]\nname = \"memchr\"\nversion = \"2.7.4\"\n",
    ),
    (
        "app/Pipfile.lock",
        r#"{"default": {"requests": {"version": "==2.31.0"}}, "develop": {}}"#,
    ),
    (
        "app/poetry.lock",
        "[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\n",
    ),
    (
        "app/uv.lock",
        "version = 1\n\n[[package]]\nname = \"requests\"\nversion = \"2.31.0\"\nsource = { registry = \"https://example.invalid/simple\" }\n",
    ),
    ("app/requirements.txt", "requests==2.31.0\n"),
    (
        "app/go.mod",
        "module example.invalid/app\n\ngo 1.22\n\nrequire golang.org/x/text v0.14.0\n",
    ),
    (
        "app/Gemfile.lock",
        "GEM\n  remote: https://example.invalid/\n  specs:\n    rake (13.1.0)\n\nPLATFORMS\n  ruby\n",
    ),
    (
        "usr/lib/ruby/gems/3.2.0/specifications/rake-13.1.0.gemspec",
        "Gem::Specification.new do |s|\n  s.name = \"rake\".freeze\n  s.version = \"13.1.0\"\nend\n",
    ),
    (
        "usr/lib/python3/site-packages/requests-2.31.0.dist-info/METADATA",
        "Metadata-Version: 2.1\nName: requests\nVersion: 2.31.0\n",
    ),
];

fn analyze(path: &str, content: &[u8]) -> Vec<AnalysisOutput> {
    let meta = FileMeta {
        size: content.len() as u64,
        mode: 0o644,
    };
    let wanting: Vec<_> = registry::all()
        .into_iter()
        .filter(|a| a.wants(path, &meta))
        .collect();
    assert!(!wanting.is_empty(), "no analyzer wants {path}");
    wanting
        .iter()
        .map(|a| {
            a.analyze(FileInput { path, content })
                .unwrap_or_else(|e| panic!("{} on {path}: {e}", a.name()))
        })
        .collect()
}

#[test]
fn one_leading_byte_order_mark_changes_nothing() {
    for (path, text) in MANIFESTS {
        let plain = analyze(path, text.as_bytes());
        assert!(
            plain.iter().any(|o| !o.packages.is_empty()),
            "{path}: the sample names no package"
        );
        let with_bom = [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat();
        assert_eq!(analyze(path, &with_bom), plain, "{path} with a BOM");
    }
}
