//! Arbitrary bytes as a layer blob: sniffing, gzip/zstd/tar parsing, whiteouts, the
//! squashed tree and link resolution must never panic or hang.
#![no_main]

use kabuto_layers::{FileTree, LayerChanges, Limits, WalkOptions, walk_layer};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let options = WalkOptions {
        limits: Limits {
            max_layer_bytes: 16 << 20,
            max_entries: 10_000,
            max_file_bytes: 1 << 20,
        },
        expected_diff_id: None,
    };
    let mut changes = LayerChanges::new();
    let mut sink = Vec::new();
    let _ = walk_layer(data, &options, |entry, content| {
        changes.record(entry);
        sink.clear();
        content.read_to_end(&mut sink).map(|_| ())
    });
    let mut tree = FileTree::new();
    tree.apply(0, changes);
    let paths: Vec<String> = tree.iter().map(|(p, _)| p.to_owned()).collect();
    for path in paths {
        let _ = tree.resolve(&path);
    }
});
