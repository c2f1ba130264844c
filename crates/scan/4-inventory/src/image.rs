//! Scanning a container image: layers are streamed in parallel, never extracted.
