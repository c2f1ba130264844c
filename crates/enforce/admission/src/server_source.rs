//! Verdicts from a Kabuto server (`GET /api/v1/verdicts`), and the enforcer's audit events
//! sent back to it (`POST /api/v1/audit/events`).

use std::path::Path;
use std::time::Duration;

use kabuto_api::server::{self, EnforcerEvent, EnforcerEvents, VerdictGeneration};
use kabuto_types::{Digest, ImageReference};
use serde::de::DeserializeOwned;

use crate::verdict::{ImageVerdict, VerdictError, VerdictSource};

/// Largest answer read from the server.
const MAX_ANSWER_BYTES: u64 = 1 << 20;

/// A client of one server, authenticated by an API token (an `enforcer` user's).
pub struct ServerVerdicts {
    agent: ureq::Agent,
    url: String,
    authorization: String,
}

impl ServerVerdicts {
    /// `url` is the server's base URL; `ca_file` a PEM CA to trust besides the system's;
    /// `timeout` bounds each request.
    pub fn new(
        url: &str,
        token: &str,
        ca_file: Option<&Path>,
        timeout: Duration,
    ) -> Result<ServerVerdicts, VerdictError> {
        let tls = kabuto_source::registry::tls_config(ca_file).map_err(|message| {
            VerdictError::Unreachable {
                url: url.to_owned(),
                message,
            }
        })?;
        let agent = ureq::AgentBuilder::new()
            .tls_config(tls)
            .timeout(timeout)
            .max_idle_connections_per_host(16)
            .user_agent(concat!("kabuto-kube-enforcer/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(ServerVerdicts {
            agent,
            url: url.trim_end_matches('/').to_owned(),
            authorization: format!("Bearer {token}"),
        })
    }

    fn get<T: DeserializeOwned>(&self, request: ureq::Request) -> Result<T, VerdictError> {
        let response = request
            .set("Authorization", &self.authorization)
            .call()
            .map_err(|e| self.failure(e))?;
        let mut body = Vec::new();
        std::io::Read::read_to_end(
            &mut std::io::Read::take(response.into_reader(), MAX_ANSWER_BYTES),
            &mut body,
        )
        .map_err(|e| self.unreachable(e.to_string()))?;
        serde_json::from_slice(&body).map_err(|e| VerdictError::BadAnswer(e.to_string()))
    }

    /// Sends a batch of events to the audit log.
    pub fn send_events(&self, events: Vec<EnforcerEvent>) -> Result<(), VerdictError> {
        let body = serde_json::to_value(EnforcerEvents { events })
            .map_err(|e| VerdictError::BadAnswer(e.to_string()))?;
        self.agent
            .post(&format!("{}/api/v1/audit/events", self.url))
            .set("Authorization", &self.authorization)
            .send_json(body)
            .map_err(|e| self.failure(e))?;
        Ok(())
    }

    fn failure(&self, error: ureq::Error) -> VerdictError {
        match error {
            ureq::Error::Status(status, response) => {
                let body = response.into_string().unwrap_or_default();
                let message = serde_json::from_str::<server::ErrorBody>(&body)
                    .map(|e| e.error.message)
                    .unwrap_or(body);
                VerdictError::Refused {
                    status,
                    message: message.chars().take(300).collect(),
                }
            }
            ureq::Error::Transport(transport) => self.unreachable(transport.to_string()),
        }
    }

    fn unreachable(&self, message: String) -> VerdictError {
        VerdictError::Unreachable {
            url: self.url.clone(),
            message,
        }
    }
}

impl VerdictSource for ServerVerdicts {
    fn verdict(
        &self,
        image: &ImageReference,
        digest: Option<&Digest>,
    ) -> Result<ImageVerdict, VerdictError> {
        let mut request = self
            .agent
            .get(&format!("{}/api/v1/verdicts", self.url))
            .query("image", &name_and_tag(image));
        if let Some(digest) = digest {
            request = request.query("digest", digest.as_str());
        }
        let wire: server::ImageVerdict = self.get(request)?;
        ImageVerdict::try_from(wire)
    }

    fn generation(&self) -> Result<Option<u64>, VerdictError> {
        let request = self
            .agent
            .get(&format!("{}/api/v1/verdicts/generation", self.url));
        let answer: VerdictGeneration = self.get(request)?;
        Ok(Some(answer.generation))
    }

    fn describe(&self) -> String {
        format!("verdicts from the server at {}", self.url)
    }
}

/// `registry/repository:tag`, or `registry/repository` for a reference by digest alone.
pub(crate) fn name_and_tag(image: &ImageReference) -> String {
    match image.tag() {
        Some(tag) => format!("{}:{tag}", image.name()),
        None => image.name(),
    }
}
