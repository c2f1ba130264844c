//! SHA-256 of a stream on a second thread. Verifying a layer's diff id means hashing every
//! decompressed byte; on the walking thread that cost adds to decompression and parsing, on
//! its own thread it overlaps them, so a single-layer image is walked in about the time of
//! the slower of the two instead of their sum.

use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::JoinHandle;

use sha2::{Digest as _, Sha256};

/// Chunks in flight between the walk and the hashing thread (each at most one read's worth,
/// 64 KiB with the tar buffer): enough to ride out jitter, small enough to bound memory.
const CHUNKS_IN_FLIGHT: usize = 32;

pub(crate) enum HashPipe {
    Threaded {
        chunks: SyncSender<Vec<u8>>,
        worker: JoinHandle<[u8; 32]>,
    },
    /// No thread could be started: hash on the caller's.
    Inline(Sha256),
}

impl HashPipe {
    pub fn new() -> Self {
        let (chunks, received) = sync_channel::<Vec<u8>>(CHUNKS_IN_FLIGHT);
        let worker = std::thread::Builder::new()
            .name("layer-sha256".into())
            .spawn(move || {
                let mut hasher = Sha256::new();
                for chunk in received {
                    hasher.update(&chunk);
                }
                hasher.finalize().into()
            });
        match worker {
            Ok(worker) => HashPipe::Threaded { chunks, worker },
            Err(_) => HashPipe::Inline(Sha256::new()),
        }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        match self {
            // A send fails only if the worker died; `finish` then reports no digest.
            HashPipe::Threaded { chunks, .. } => {
                let _ = chunks.send(bytes.to_vec());
            }
            HashPipe::Inline(hasher) => hasher.update(bytes),
        }
    }

    /// The digest of everything given to `update`; `None` if the hashing thread panicked.
    pub fn finish(self) -> Option<[u8; 32]> {
        match self {
            HashPipe::Threaded { chunks, worker } => {
                drop(chunks);
                worker.join().ok()
            }
            HashPipe::Inline(hasher) => Some(hasher.finalize().into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_the_inline_sha256() {
        let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut pipe = HashPipe::new();
        for chunk in data.chunks(7_777) {
            pipe.update(chunk);
        }
        let expected: [u8; 32] = Sha256::digest(&data).into();
        assert_eq!(pipe.finish(), Some(expected));
    }
}
