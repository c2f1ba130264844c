use super::*;

fn link(target: &str, rels: &[&str]) -> Link {
    Link {
        target: target.into(),
        rels: rels.iter().map(|r| (*r).to_owned()).collect(),
    }
}

fn base() -> Url {
    Url::parse("http://127.0.0.1:5000/v2/_catalog?n=2").unwrap()
}

fn next_of(header: &str) -> Result<Option<String>, String> {
    next_link(&[header.to_owned()], &base()).map(|url| url.map(String::from))
}

#[test]
fn parses_link_headers_with_quoted_and_bare_params() {
    assert_eq!(
        parse_link_header(r#"</v2/_catalog?last=b&n=2>; rel="next""#).unwrap(),
        [link("/v2/_catalog?last=b&n=2", &["next"])]
    );
    // Several links, bare and quoted values, odd case and spacing, an escaped quote, a
    // comma inside the URI and inside a quoted value, a space-separated rel list.
    let header = r#"<a,b>;rel=prev , < /x?y=1 > ; title="a \"q\", b"; REL="Next last";x"#;
    assert_eq!(
        parse_link_header(header).unwrap(),
        [link("a,b", &["prev"]), link("/x?y=1", &["next", "last"])]
    );
    assert_eq!(parse_link_header("").unwrap(), []);
}

#[test]
fn refuses_malformed_link_headers() {
    for (bad, why) in [
        ("/v2/_catalog; rel=next", "does not start with `<`"),
        ("</v2/_catalog; rel=next", "not closed"),
        (r#"</a>; rel="next"#, "quoted string is not closed"),
        ("</a>; =next", "no name"),
        ("</a> junk", "text after"),
    ] {
        let err = parse_link_header(bad).unwrap_err();
        assert!(err.contains(why), "{bad}: {err}");
    }
    let err = next_of("nonsense").unwrap_err();
    assert!(err.contains("Link header `nonsense`"), "{err}");
}

#[test]
fn next_links_resolve_relative_and_absolute_on_the_same_host_only() {
    let next = |header: &str| next_of(header).unwrap();
    assert_eq!(
        next(r#"</v2/_catalog?last=b&n=2>; rel="next""#).as_deref(),
        Some("http://127.0.0.1:5000/v2/_catalog?last=b&n=2")
    );
    // Relative to the page's path, as RFC 3986 resolves it.
    assert_eq!(
        next("<_catalog?last=c>; rel=next").as_deref(),
        Some("http://127.0.0.1:5000/v2/_catalog?last=c")
    );
    assert_eq!(
        next("<http://127.0.0.1:5000/v2/_catalog?last=d>; rel=next").as_deref(),
        Some("http://127.0.0.1:5000/v2/_catalog?last=d")
    );
    assert_eq!(next(r#"</v2/_catalog?last=b>; rel="prev""#), None);
    for elsewhere in [
        "<http://127.0.0.2:5000/v2/_catalog?last=b>; rel=next",
        "<http://127.0.0.1:5001/v2/_catalog?last=b>; rel=next",
        "<https://127.0.0.1:5000/v2/_catalog?last=b>; rel=next",
        "<//evil.example.invalid/v2/_catalog>; rel=next",
    ] {
        let err = next_of(elsewhere).unwrap_err();
        assert!(
            err.contains("leaves the registry's host"),
            "{elsewhere}: {err}"
        );
    }
}

#[test]
fn pages_must_be_the_documented_json() {
    let page = parse_page::<CatalogPage>(br#"{"repositories":["a","b/c"]}"#).unwrap();
    assert_eq!(page.repositories, ["a", "b/c"]);
    let page = parse_page::<TagsPage>(br#"{"name":"a","tags":null}"#).unwrap();
    assert!(page.tags.is_empty());
    for (body, why) in [
        (&br#"{"repos":[]}"#[..], "missing field `repositories`"),
        (br#"{"repositories":["a",3]}"#, "field `repositories[1]`"),
        (br#"{"repositories":"a"}"#, "field `repositories`"),
        (br#"{"repositories":[]} trailing"#, "trailing characters"),
        (b"<html>", "not the documented JSON"),
    ] {
        let err = parse_page::<CatalogPage>(body).err().unwrap();
        assert!(
            err.contains(why),
            "{}: {err}",
            String::from_utf8_lossy(body)
        );
    }
    let err = parse_page::<TagsPage>(br#"{"name":"a"}"#).err().unwrap();
    assert!(err.contains("missing field `tags`"), "{err}");
}

#[test]
fn a_registry_must_be_a_host() {
    assert!(registry_host("127.0.0.1:5000").is_ok());
    assert!(registry_host("localhost").is_ok());
    assert!(registry_host("docker.io").is_ok());
    for bad in ["myhost", "127.0.0.1:5000/path", "http://127.0.0.1:5000", ""] {
        assert!(registry_host(bad).is_err(), "{bad}");
    }
}
