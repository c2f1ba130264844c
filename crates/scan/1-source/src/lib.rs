//! Where image bytes come from: docker-archive, OCI layout, registry, root filesystem directory.
