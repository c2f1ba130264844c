//! JSON over HTTP POST for the webhook, Slack and Teams outputs.

use std::io::Read;

use ureq::ErrorKind;
use url::Url;

use crate::error::{BODY_EXCERPT_BYTES, Failure};

/// POSTs `body` as `application/json` with `headers`; any status but 2xx is a failure.
pub(crate) fn post_json(
    agent: &ureq::Agent,
    url: &Url,
    headers: &[(&str, &str)],
    body: &str,
) -> Result<(), Failure> {
    let request = headers
        .iter()
        .fold(agent.post(url.as_str()), |request, (name, value)| {
            request.set(name, value)
        })
        .set("Content-Type", "application/json");
    match request.send_bytes(body.as_bytes()) {
        // Redirects are off (a POST must not silently turn into a GET), so a 3xx lands here.
        Ok(response) if (200..300).contains(&response.status()) => Ok(()),
        Ok(response) | Err(ureq::Error::Status(_, response)) => Err(Failure::HttpStatus {
            url: url.to_string(),
            status: response.status(),
            body_excerpt: body_excerpt(response),
        }),
        Err(ureq::Error::Transport(transport)) => Err(transport_failure(url, transport)),
    }
}

fn body_excerpt(response: ureq::Response) -> String {
    let mut excerpt = Vec::with_capacity(BODY_EXCERPT_BYTES);
    // A body that breaks off mid-read still tells what it said so far.
    let _ = response
        .into_reader()
        .take(BODY_EXCERPT_BYTES as u64)
        .read_to_end(&mut excerpt);
    String::from_utf8_lossy(&excerpt).into_owned()
}

fn transport_failure(url: &Url, transport: ureq::Transport) -> Failure {
    let url = url.to_string();
    let source = Box::new(transport);
    match source.kind() {
        ErrorKind::InvalidUrl
        | ErrorKind::UnknownScheme
        | ErrorKind::InsecureRequestHttpsOnly
        | ErrorKind::TooManyRedirects
        | ErrorKind::BadHeader
        | ErrorKind::InvalidProxyUrl
        | ErrorKind::ProxyUnauthorized => Failure::Request { url, source },
        ErrorKind::Dns
        | ErrorKind::ConnectionFailed
        | ErrorKind::BadStatus
        | ErrorKind::Io
        | ErrorKind::ProxyConnect
        | ErrorKind::HTTP => Failure::Unreachable { url, source },
    }
}
