//! Streams image layers (gzip, zstd, plain tar), applies whiteouts and squashes them into one file tree.
