//! The vulnerability database: ingest OSV and non-OSV feeds, write a compact memory-mapped file, query it.
