//! What the real registries here cannot show about listings: tag pages with `Link`
//! headers (Debian's registry sends all tags at once), absolute next links, a next link
//! to another host, pages that are not the documented JSON, a page that links to itself,
//! and a registry without a catalog. A small in-test HTTP server plays the registry.
#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

use kabuto_source::SourceError;
use kabuto_source::registry::{ImageReference, RegistryOptions, list_repositories, list_tags};

/// Serves `pages` (request target -> (Link header or "", body)); anything else is a 404.
/// `{addr}` in a Link header is replaced with the server's address.
fn serve(pages: &[(&str, &str, &str)]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let pages: HashMap<String, (String, String)> = pages
        .iter()
        .map(|(target, link, body)| {
            let link = link.replace("{addr}", &addr);
            ((*target).to_owned(), (link, (*body).to_owned()))
        })
        .collect();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let target = request_target(&stream);
            match pages.get(&target) {
                Some((link, body)) => respond(&stream, "200 OK", link, body),
                None => respond(
                    &stream,
                    "404 Not Found",
                    "",
                    r#"{"errors":[{"code":"NOT_FOUND","message":"no such page"}]}"#,
                ),
            }
        }
    });
    addr
}

fn request_target(stream: &TcpStream) -> String {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line.trim_end().is_empty() {
            break;
        }
    }
    request_line
        .split(' ')
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}

fn respond(mut stream: &TcpStream, status: &str, link: &str, body: &str) {
    let link = if link.is_empty() {
        String::new()
    } else {
        format!("Link: {link}\r\n")
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n{link}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
}

fn options() -> RegistryOptions {
    RegistryOptions {
        insecure: true,
        ..RegistryOptions::default()
    }
}

fn tags_of(addr: &str) -> Result<Vec<String>, SourceError> {
    let reference = ImageReference::parse(&format!("{addr}/team/app")).unwrap();
    list_tags(&reference, &options(), 2, 100)
}

#[test]
fn tag_pages_follow_relative_and_absolute_links() {
    let addr = serve(&[
        (
            "/v2/team/app/tags/list?n=2",
            r#"</v2/team/app/tags/list?n=2&last=b>; rel="next""#,
            r#"{"name":"team/app","tags":["a","b"]}"#,
        ),
        (
            "/v2/team/app/tags/list?n=2&last=b",
            "<http://{addr}/v2/team/app/tags/list?n=2&last=d>; rel=next",
            r#"{"name":"team/app","tags":["c","d"]}"#,
        ),
        (
            "/v2/team/app/tags/list?n=2&last=d",
            "",
            r#"{"name":"team/app","tags":["e"]}"#,
        ),
    ]);
    assert_eq!(tags_of(&addr).unwrap(), ["a", "b", "c", "d", "e"]);
    let reference = ImageReference::parse(&format!("{addr}/team/app")).unwrap();
    assert_eq!(
        list_tags(&reference, &options(), 2, 3).unwrap(),
        ["a", "b", "c"]
    );
}

#[test]
fn a_next_link_to_another_host_is_refused() {
    let addr = serve(&[(
        "/v2/team/app/tags/list?n=2",
        "<http://127.0.0.2:1/v2/team/app/tags/list?last=b>; rel=next",
        r#"{"name":"team/app","tags":["a","b"]}"#,
    )]);
    let err = tags_of(&addr).unwrap_err();
    assert!(matches!(err, SourceError::ListPage { .. }), "{err}");
    assert!(
        err.to_string().contains("leaves the registry's host"),
        "{err}"
    );
}

#[test]
fn pages_that_loop_or_are_not_json_name_url_and_field() {
    let addr = serve(&[(
        "/v2/team/app/tags/list?n=2",
        "</v2/team/app/tags/list?n=2>; rel=next",
        r#"{"name":"team/app","tags":["a"]}"#,
    )]);
    let err = tags_of(&addr).unwrap_err().to_string();
    assert!(err.contains("already read"), "{err}");

    let addr = serve(&[(
        "/v2/team/app/tags/list?n=2",
        "",
        r#"{"name":"team/app","tags":["a",{"b":1}]}"#,
    )]);
    let err = tags_of(&addr).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, SourceError::ListPage { .. }), "{text}");
    assert!(
        text.contains("/v2/team/app/tags/list?n=2") && text.contains("field `tags[1]`"),
        "{text}"
    );

    let addr = serve(&[(
        "/v2/_catalog?n=2",
        "</v2/_catalog?last=x>; rel=next",
        r#"{"repositories":[]}"#,
    )]);
    let err = list_repositories(&addr, &options(), 2, 100)
        .unwrap_err()
        .to_string();
    assert!(err.contains("without giving a name"), "{err}");
}

#[test]
fn a_registry_without_a_catalog_is_a_404() {
    let addr = serve(&[]);
    let err = list_repositories(&addr, &options(), 2, 100).unwrap_err();
    assert!(
        matches!(err, SourceError::RegistryStatus { status: 404, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("listing /v2/_catalog"), "{err}");
}
