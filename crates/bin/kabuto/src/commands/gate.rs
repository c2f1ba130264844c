//! The CI gate through a Kabuto server (`--server URL --token T [--register]`): the scan's
//! JSON report goes to the server, which judges it with its own policies and
//! acknowledgements; its verdict decides the exit code.

use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use kabuto_api::server::{ErrorBody, ScanUploadResponse};
use kabuto_report::{Format, RenderOptions};
use kabuto_scan::ScanResult;

use super::eprint_safe;
use crate::cli::ServerGateArgs;

/// Uploads `result` and returns the server's answer. `image` names the image the scan is
/// registered under when the scan target was a registry reference.
pub fn ask(
    args: &ServerGateArgs,
    server: &str,
    result: &ScanResult,
    image: Option<&str>,
) -> Result<ScanUploadResponse> {
    let token = args
        .token
        .as_deref()
        .context("--server needs --token (or KABUTO_TOKEN): create one with POST /api/v1/tokens")?;
    let mut body = Vec::new();
    kabuto_report::render_report(
        Format::Json,
        &result.report().list_packages(true),
        &RenderOptions::new(),
        &mut body,
    )?;
    let tls = kabuto_source::registry::tls_config(args.server_ca.as_deref())
        .map_err(|e| anyhow!("--server-ca: {e}"))?;
    let agent = ureq::AgentBuilder::new()
        .tls_config(tls)
        .timeout_connect(Duration::from_secs(10))
        .timeout(Duration::from_secs(300))
        .build();
    let url = format!("{}/api/v1/scans", server.trim_end_matches('/'));
    let mut request = agent
        .post(&url)
        .set("Authorization", &format!("Bearer {token}"))
        .set("Content-Type", "application/json")
        .query("register", if args.register { "true" } else { "false" });
    if let Some(image) = image {
        request = request.query("image", image);
    }
    match request.send_bytes(&body) {
        Ok(response) => response.into_json::<ScanUploadResponse>().with_context(|| {
            format!("the server at {server} answered something that is not a verdict")
        }),
        Err(ureq::Error::Status(status, response)) => {
            let message = response
                .into_json::<ErrorBody>()
                .map_or_else(|_| "no explanation".to_owned(), |e| e.error.message);
            bail!("the server at {server} refused the scan ({status}): {message}")
        }
        Err(e) => bail!("cannot reach the server at {server}: {e}"),
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
