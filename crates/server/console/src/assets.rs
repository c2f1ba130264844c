//! The console's static files, embedded in the binary. Their URLs carry a hash of their
//! content, so browsers may keep them forever and still get a new version after an upgrade.

use std::sync::LazyLock;

use sha2::{Digest, Sha256};

/// One embedded file.
#[derive(Debug)]
pub struct Asset {
    /// `/assets/console.<hash>.css`
    pub path: String,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

fn asset(stem: &str, extension: &str, content_type: &'static str, body: &'static [u8]) -> Asset {
    let hash = hex::encode(&Sha256::digest(body)[..6]);
    Asset {
        path: format!("/assets/{stem}.{hash}.{extension}"),
        content_type,
        body,
    }
}

pub static STYLESHEET: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "console",
        "css",
        "text/css; charset=utf-8",
        include_bytes!("../assets/console.css"),
    )
});

pub static SCRIPT: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "console",
        "js",
        "text/javascript; charset=utf-8",
        include_bytes!("../assets/console.js"),
    )
});

pub static ICON: LazyLock<Asset> = LazyLock::new(|| {
    asset(
        "icon",
        "svg",
        "image/svg+xml",
        include_bytes!("../assets/icon.svg"),
    )
});

/// The embedded file served at `path`.
pub fn find(path: &str) -> Option<&'static Asset> {
    [&*STYLESHEET, &*SCRIPT, &*ICON]
        .into_iter()
        .find(|a| a.path == path)
}

/// The Content-Security-Policy of every console page: scripts and styles from the server
/// only (no inline script or style), no framing, forms and fetches to the server only.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assets_are_found_by_their_hashed_path_only() {
        for a in [&*STYLESHEET, &*SCRIPT, &*ICON] {
            assert!(find(&a.path).is_some(), "{}", a.path);
            assert!(!a.body.is_empty());
        }
        assert!(find("/assets/console.css").is_none());
        assert_ne!(STYLESHEET.path, SCRIPT.path);
    }
}
