//! The CI gate through a Kabuto server (`--server URL --token T [--register]`): the scan's
//! JSON report goes to the server, which judges it with its own policies and
//! acknowledgements; its verdict decides the exit code.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use kabuto_api::server::ScanUploadResponse;
use kabuto_client::ClientError;
use kabuto_report::{Format, RenderOptions};
use kabuto_scan::ScanResult;

use super::eprint_safe;
use crate::cli::ServerGateArgs;

/// Uploads `result` and returns the server's answer. `image` names the image the scan is
/// registered under when the scan target was a registry reference.
pub fn ask(
    args: &ServerGateArgs,
    result: &ScanResult,
    image: Option<&str>,
) -> Result<Option<ScanUploadResponse>> {
    let user_agent = concat!("kabuto/", env!("CARGO_PKG_VERSION"));
    let Some(client) = args.client.connect(
        "a user who may register scans",
        Duration::from_secs(300),
        user_agent,
    )?
    else {
        return Ok(None);
    };
    let server = client.base_url();
    let mut body = Vec::new();
    kabuto_report::render_report(
        Format::Json,
        &result.report().list_packages(true),
        &RenderOptions::new(),
        &mut body,
    )?;
    let mut request = client
        .request("POST", "/api/v1/scans")
        .query("register", if args.register { "true" } else { "false" });
    if let Some(image) = image {
        request = request.query("image", image);
    }
    match client.send(request, Some(&body)) {
        Ok(response) => kabuto_client::read_json(response)
            .map(Some)
            .with_context(|| {
                format!("the server at {server} answered something that is not a verdict")
            }),
        Err(ClientError::Refused {
            status, message, ..
        }) => {
            bail!("the server at {server} refused the scan ({status}): {message}")
        }
        Err(ClientError::Unreachable { message, .. }) => {
            bail!("cannot reach the server at {server}: {message}")
        }
        Err(e) => Err(e.into()),
    }
}

/// The server's verdict on stderr, one line per blocking control.
pub fn print(answer: &ScanUploadResponse, quiet: bool) {
    if quiet {
        return;
    }
    let verdict = &answer.verdict;
    let stored = if answer.registered {
        " (registered)"
    } else {
        ""
    };
    if verdict.disallowed {
        eprint_safe(
            "server",
            format_args!(
                "{} is disallowed by the server's policies{stored}",
                verdict.image
            ),
        );
        for check in verdict
            .assurance_checks_performed
            .iter()
            .filter(|c| c.blocking)
        {
            eprint_safe(
                "server",
                format_args!(
                    "  policy {}: {} failed: {}",
                    check.policy_name, check.control, check.message
                ),
            );
        }
    } else {
        let passed = verdict.assurance_checks_performed.len();
        eprint_safe(
            "server",
            format_args!(
                "{} passes the server's policies ({passed} checks){stored}",
                verdict.image
            ),
        );
    }
}
