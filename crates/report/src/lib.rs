//! Renders inventories and findings: table, JSON, CycloneDX 1.6, SPDX 2.3 JSON.
