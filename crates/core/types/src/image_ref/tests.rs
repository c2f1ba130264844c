use proptest::prelude::*;

use super::*;

const HEX: &str = "0ac14209fa0fcba0f13b57557faf8856319d5b4a703d92eba79240f0fe7a860a";

fn parts(reference: &str) -> (String, String, Option<String>, Option<String>) {
    let r = ImageReference::parse(reference).unwrap();
    (
        r.registry().to_owned(),
        r.repository().to_owned(),
        r.tag().map(str::to_owned),
        r.digest().map(ToString::to_string),
    )
}

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

#[test]
fn docker_hub_defaults() {
    assert_eq!(
        parts("alpine"),
        (
            "docker.io".into(),
            "library/alpine".into(),
            some("latest"),
            None
        )
    );
    assert_eq!(
        parts("user/app:1.2"),
        ("docker.io".into(), "user/app".into(), some("1.2"), None)
    );
    assert_eq!(parts("index.docker.io/alpine").1, "library/alpine");
    assert_eq!(parts("registry-1.docker.io/alpine").0, "docker.io");
    assert_eq!(parts("docker.io/library/alpine:3").1, "library/alpine");
    let r = ImageReference::parse("alpine").unwrap();
    assert_eq!(r.to_string(), "docker.io/library/alpine:latest");
    assert_eq!(r.original(), "alpine");
    assert_eq!(r.familiar_name(), "alpine");
    assert_eq!(r.familiar_repository(), "alpine");
    assert_eq!(
        ImageReference::parse("user/app").unwrap().familiar_name(),
        "user/app"
    );
    assert_eq!(
        ImageReference::parse("library/a/b")
            .unwrap()
            .familiar_repository(),
        "library/a/b"
    );
}

#[test]
fn equality_ignores_how_the_reference_was_written() {
    let short = ImageReference::parse("nginx").unwrap();
    let full = ImageReference::parse("docker.io/library/nginx:latest").unwrap();
    assert_eq!(short, full);
    assert_ne!(short.original(), full.original());
    assert_ne!(short, ImageReference::parse("nginx:1.25").unwrap());
}

#[test]
fn registry_detection_like_docker() {
    assert_eq!(parts("localhost/app").0, "localhost");
    assert_eq!(
        parts("localhost:5000/a/b:v1"),
        ("localhost:5000".into(), "a/b".into(), some("v1"), None)
    );
    assert_eq!(parts("127.0.0.1:5000/app").0, "127.0.0.1:5000");
    assert_eq!(parts("ghcr.io/org/app").1, "org/app");
    assert_eq!(parts("myhost:80/app").0, "myhost:80");
    assert_eq!(parts("[::1]:5000/app").0, "[::1]:5000");
    // A first component without `.`/`:` that is not localhost is a Docker Hub user.
    assert_eq!(
        parts("myhost/app"),
        (
            "docker.io".into(),
            "myhost/app".into(),
            some("latest"),
            None
        )
    );
    // `localhost:5000` alone is the image `localhost` with tag `5000`, as in docker.
    assert_eq!(
        parts("localhost:5000"),
        (
            "docker.io".into(),
            "library/localhost".into(),
            some("5000"),
            None
        )
    );
    // Uppercase first component can only be a registry.
    assert_eq!(parts("MyRegistry/app").0, "MyRegistry");
    let r = ImageReference::parse("ghcr.io/org/app").unwrap();
    assert_eq!(r.familiar_name(), "ghcr.io/org/app");
    assert_eq!(r.familiar_repository(), "org/app");
}

#[test]
fn tags_and_digests() {
    let with_digest = format!("registry:5000/ns/app@sha256:{HEX}");
    assert_eq!(
        parts(&with_digest),
        (
            "registry:5000".into(),
            "ns/app".into(),
            None,
            Some(format!("sha256:{HEX}"))
        )
    );
    let r = ImageReference::parse(&with_digest).unwrap();
    assert_eq!(r.manifest_reference(), format!("sha256:{HEX}"));
    assert_eq!(r.to_string(), with_digest);

    let both = format!("alpine:3.19@sha256:{HEX}");
    let r = ImageReference::parse(&both).unwrap();
    assert_eq!(r.tag(), Some("3.19"));
    assert_eq!(r.manifest_reference(), format!("sha256:{HEX}"));
    assert_eq!(
        r.to_string(),
        format!("docker.io/library/alpine:3.19@sha256:{HEX}")
    );

    assert_eq!(
        ImageReference::parse("a:b").unwrap().manifest_reference(),
        "b"
    );
    assert_eq!(parts("a/b.c_d__e-f---g:_x.Y-1").1, "a/b.c_d__e-f---g");
}

#[test]
fn rejects_bad_references() {
    let long_tag = format!("a:{}", "t".repeat(129));
    let long_name = format!("example.com/{}", "a".repeat(250));
    for (bad, why) in [
        ("", "empty"),
        ("https://example.com/app", "scheme"),
        ("app:", "tag must start"),
        ("app:-x", "tag must start"),
        ("app:a b", "tag may only"),
        (long_tag.as_str(), "128"),
        ("app@sha256:abc", "bad digest"),
        ("app@md5:abc", "bad digest"),
        ("example.com/App", "lowercase"),
        ("foo//bar", "path components"),
        ("example.com/", "path components"),
        ("-foo", "path components"),
        ("foo-/bar", "path components"),
        ("foo..bar", "path components"),
        ("foo___bar", "path components"),
        ("nginx latest", "path components"),
        ("example.com:99999/app", "bad port"),
        ("example.com:/app", "bad port"),
        ("exa_mple.com/app", "host name"),
        ("-example.com/app", "host name"),
        ("[::1/app", "unclosed"),
        ("[zz]:5000/app", "IPv6"),
        ("[::1]x/app", "after `]`"),
        (long_name.as_str(), "255"),
    ] {
        let err = ImageReference::parse(bad).expect_err(bad);
        assert!(err.to_string().contains(why), "{bad}: {err}");
        assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
    }
}

#[test]
fn errors_are_typed_and_keep_their_source() {
    let err = ImageReference::parse("app@sha256:abc").unwrap_err();
    assert!(matches!(
        &err,
        ImageReferenceError::Digest {
            source: DigestError::BadHex(_),
            ..
        }
    ));
    assert!(std::error::Error::source(&err).is_some());
    assert!(matches!(
        ImageReference::parse("example.com:x/app"),
        Err(ImageReferenceError::Registry { registry, .. }) if registry == "example.com:x"
    ));
}

/// Valid references built from parts: optional registry, repository path, tag and digest.
fn reference() -> impl Strategy<Value = String> {
    let component = "[a-z0-9]{1,6}([._-][a-z0-9]{1,4})?";
    let registry = prop_oneof![
        Just(String::new()),
        Just("localhost/".to_owned()),
        Just("localhost:5000/".to_owned()),
        Just("[::1]:5000/".to_owned()),
        "[a-z]{1,8}\\.(io|com)(:[1-9][0-9]{0,3})?/",
    ];
    let path = prop::collection::vec(component, 1..4).prop_map(|parts| parts.join("/"));
    let tag = prop::option::of("[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}");
    let digest = prop::option::of("[0-9a-f]{64}");
    (registry, path, tag, digest).prop_map(|(registry, path, tag, digest)| {
        let mut text = format!("{registry}{path}");
        if let Some(tag) = tag {
            text.push(':');
            text.push_str(&tag);
        }
        if let Some(hex) = digest {
            text.push_str("@sha256:");
            text.push_str(&hex);
        }
        text
    })
}

proptest! {
    #[test]
    fn display_parses_back_to_the_same_reference(text in reference()) {
        let parsed = ImageReference::parse(&text).unwrap();
        let shown = parsed.to_string();
        let again = ImageReference::parse(&shown).unwrap();
        prop_assert_eq!(&again, &parsed);
        prop_assert_eq!(again.to_string(), shown);
        prop_assert_eq!(parsed.original(), text.as_str());
    }

    #[test]
    fn familiar_name_names_the_same_repository(text in reference()) {
        let parsed = ImageReference::parse(&text).unwrap();
        let familiar = ImageReference::parse(&parsed.familiar_name()).unwrap();
        prop_assert_eq!(familiar.name(), parsed.name());
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,80}") {
        let _ = ImageReference::parse(&text);
    }
}
