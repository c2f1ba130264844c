//! Opens a local image, walks every layer in parallel (one thread per layer, diff IDs
//! verified) and squashes them: a quick throughput check of the source and layer crates.
//!
//! `cargo run --release -p kabuto-source --example walk_image -- PATH [SELECTOR]`

use std::time::Instant;

use kabuto_layers::{EntryKind, FileTree, LayerChanges, WalkOptions, walk_layer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: walk_image PATH [SELECTOR]")?;
    let selector = args.next();
    let started = Instant::now();
    let image = kabuto_source::open_local(path.as_ref(), selector.as_deref())?;
    println!("opened {} in {:?}", image.name(), started.elapsed());
    let layers = &image.metadata().layers;
    let results: Vec<Result<(LayerChanges, u64), String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = layers
            .iter()
            .enumerate()
            .map(|(index, info)| {
                let image = &image;
                scope.spawn(move || {
                    let options = WalkOptions {
                        expected_diff_id: Some(info.diff_id.clone()),
                        ..WalkOptions::default()
                    };
                    let mut changes = LayerChanges::new();
                    let mut content_bytes = 0u64;
                    let mut buffer = Vec::new();
                    let layer = image.open_layer(index).map_err(|e| e.to_string())?;
                    let stats = walk_layer(layer, &options, |entry, content| {
                        changes.record(entry);
                        // Read what a typical analyzer would: small text files.
                        if entry.kind == EntryKind::File && entry.size < 64 << 10 && entry.path.ends_with(".py") {
                            buffer.clear();
                            content_bytes += content.read_to_end(&mut buffer)? as u64;
                        }
                        Ok::<_, std::io::Error>(())
                    })
                    .map_err(|e| format!("layer {index}: {e}"))?;
                    println!(
                        "layer {index}: {:?} {} entries, {} MiB decompressed, {content_bytes} content bytes read",
                        stats.compression,
                        stats.entries,
                        stats.decompressed_bytes >> 20
                    );
                    Ok((changes, stats.entries))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("panicked".into())))
            .collect()
    });
    let mut tree = FileTree::new();
    for (index, result) in results.into_iter().enumerate() {
        tree.apply(index, result?.0);
    }
    println!(
        "{} paths in the squashed tree; total {:?}",
        tree.len(),
        started.elapsed()
    );
    Ok(())
}
