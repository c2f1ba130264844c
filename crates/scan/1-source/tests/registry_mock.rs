//! What a real registry here cannot show: blob redirects to another host (which must not
//! get our token), `access_token` responses, and a registry serving bytes that do not
//! match their digest. A small in-test HTTP server plays the registry.
#![allow(clippy::unwrap_used)] // test code: a panic is a failed test

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

use kabuto_source::SourceError;
use kabuto_source::registry::{RegistryOptions, open_registry};
use kabuto_types::Digest;

const TOKEN: &str = "mock-token";

struct Blob {
    digest: Digest,
    /// What the server sends, which may differ from what `digest` names.
    served: Vec<u8>,
}

/// Headers seen per request path, for checks after the pull.
type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;

/// A registry for `mock/app:latest` with one config and one layer. Blobs answer with a
/// redirect to `storage` (a second listener, like a CDN), which serves them.
fn start_mock(config: &[u8], layer: Blob) -> (String, Seen) {
    let registry = TcpListener::bind("127.0.0.1:0").unwrap();
    let storage = TcpListener::bind("127.0.0.1:0").unwrap();
    let registry_addr = registry.local_addr().unwrap().to_string();
    let storage_addr = storage.local_addr().unwrap().to_string();
    let config_digest = Digest::sha256_of(config);
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",
        "config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{config_digest}","size":{}}},
        "layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":{}}}]}}"#,
        config.len(),
        layer.digest,
        layer.served.len()
    );
    let seen: Seen = Arc::default();
    let blobs = [
        (config_digest.to_string(), config.to_vec()),
        (layer.digest.to_string(), layer.served),
    ];
    let (seen_registry, seen_storage) = (seen.clone(), seen.clone());
    let realm = format!("http://{registry_addr}/token");
    std::thread::spawn(move || {
        for stream in registry.incoming().flatten() {
            let (path, authorization) = read_request(&stream);
            seen_registry
                .lock()
                .unwrap()
                .push((path.clone(), authorization.clone()));
            let authorized = authorization.as_deref() == Some(&format!("Bearer {TOKEN}"));
            if path.starts_with("/token?") {
                respond(
                    &stream,
                    "200 OK",
                    &[],
                    format!(r#"{{"access_token":"{TOKEN}"}}"#).as_bytes(),
                );
            } else if !authorized {
                let challenge = format!(
                    r#"WWW-Authenticate: Bearer realm="{realm}",service="mock",scope="repository:mock/app:pull""#
                );
                respond(&stream, "401 Unauthorized", &[&challenge], b"{}");
            } else if path == "/v2/mock/app/manifests/latest" {
                respond(
                    &stream,
                    "200 OK",
                    &["Content-Type: application/vnd.oci.image.manifest.v1+json"],
                    manifest.as_bytes(),
                );
            } else if let Some(digest) = path.strip_prefix("/v2/mock/app/blobs/") {
                let location = format!("Location: http://{storage_addr}/storage/{digest}");
                respond(&stream, "307 Temporary Redirect", &[&location], b"");
            } else {
                respond(&stream, "404 Not Found", &[], b"");
            }
        }
    });
    std::thread::spawn(move || {
        for stream in storage.incoming().flatten() {
            let (path, authorization) = read_request(&stream);
            seen_storage
                .lock()
                .unwrap()
                .push((path.clone(), authorization));
            let blob = blobs
                .iter()
                .find(|(digest, _)| path == format!("/storage/{digest}"));
            match blob {
                Some((_, bytes)) => respond(&stream, "200 OK", &[], bytes),
                None => respond(&stream, "404 Not Found", &[], b""),
            }
        }
    });
    (registry_addr, seen)
}

fn read_request(stream: &TcpStream) -> (String, Option<String>) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let mut authorization = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap() == 0 || line.trim_end().is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':')
            && name.eq_ignore_ascii_case("authorization")
        {
            authorization = Some(value.trim().to_owned());
        }
    }
    let path = request_line
        .split(' ')
        .nth(1)
        .unwrap_or_default()
        .to_owned();
    (path, authorization)
}

fn respond(mut stream: &TcpStream, status: &str, headers: &[&str], body: &[u8]) {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for header in headers {
        head.push_str(header);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
}

fn config_for(layer: &[u8]) -> Vec<u8> {
    format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":["{}"]}}}}"#,
        Digest::sha256_of(layer)
    )
    .into_bytes()
}

fn plain() -> RegistryOptions {
    RegistryOptions {
        insecure: true,
        ..RegistryOptions::default()
    }
}

#[test]
fn token_redirect_and_verified_layer() {
    let layer = b"pretend this is a tar".to_vec();
    let (address, seen) = start_mock(
        &config_for(&layer),
        Blob {
            digest: Digest::sha256_of(&layer),
            served: layer.clone(),
        },
    );
    let image = open_registry(&format!("{address}/mock/app:latest"), &plain()).unwrap();
    let mut pulled = Vec::new();
    image
        .open_layer(0)
        .unwrap()
        .read_to_end(&mut pulled)
        .unwrap();
    assert_eq!(pulled, layer);

    let seen = seen.lock().unwrap();
    let token_requests: Vec<&String> = seen
        .iter()
        .map(|(path, _)| path)
        .filter(|p| p.starts_with("/token?"))
        .collect();
    assert_eq!(token_requests.len(), 1, "{seen:?}");
    assert!(
        token_requests[0].contains("scope=repository%3Amock%2Fapp%3Apull")
            && token_requests[0].contains("service=mock"),
        "{token_requests:?}"
    );
    // The storage host got both blobs, and never the registry token.
    let storage: Vec<&(String, Option<String>)> = seen
        .iter()
        .filter(|(p, _)| p.starts_with("/storage/"))
        .collect();
    assert_eq!(storage.len(), 2, "{seen:?}");
    assert!(
        storage.iter().all(|(_, auth)| auth.is_none()),
        "{storage:?}"
    );
}

#[test]
fn tampered_layer_fails_while_streaming() {
    let layer = b"the real layer".to_vec();
    let tampered = b"the evil layer".to_vec();
    let (address, _) = start_mock(
        &config_for(&layer),
        Blob {
            digest: Digest::sha256_of(&layer),
            served: tampered.clone(),
        },
    );
    let image = open_registry(&format!("{address}/mock/app:latest"), &plain()).unwrap();
    let mut sink = Vec::new();
    let err = image
        .open_layer(0)
        .unwrap()
        .read_to_end(&mut sink)
        .unwrap_err();
    let source = err.into_inner().unwrap().downcast::<SourceError>().unwrap();
    let SourceError::DigestMismatch {
        expected, actual, ..
    } = *source
    else {
        panic!("{source:?}");
    };
    assert_eq!(expected, Digest::sha256_of(&layer).to_string());
    assert_eq!(actual, Digest::sha256_of(&tampered).to_string());
    assert!(image.open_layer(1).is_err());
}
