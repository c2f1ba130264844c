//! Pulling images from a registry over the OCI distribution API.
