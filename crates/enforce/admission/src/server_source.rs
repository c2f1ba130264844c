//! Verdicts from a Kabuto server (`GET /api/v1/verdicts`), and the enforcer's audit events
//! sent back to it (`POST /api/v1/audit/events`).

use kabuto_api::server::{self, EnforcerEvent, EnforcerEvents, VerdictGeneration};
use kabuto_client::{ClientError, ServerClient};
use kabuto_types::{Digest, ImageReference};

use crate::verdict::{ImageVerdict, VerdictError, VerdictSource};

/// A client of one server, authenticated by an API token (an `enforcer` user's).
pub struct ServerVerdicts {
    client: ServerClient,
}

impl From<ClientError> for VerdictError {
    fn from(error: ClientError) -> VerdictError {
        match error {
            ClientError::Refused {
                status, message, ..
            } => VerdictError::Refused { status, message },
            ClientError::BadAnswer { message, .. } => VerdictError::BadAnswer(message),
            ClientError::Tls { url, message } | ClientError::Unreachable { url, message } => {
                VerdictError::Unreachable { url, message }
            }
            other => VerdictError::BadAnswer(other.to_string()),
        }
    }
}

impl ServerVerdicts {
    /// Verdicts from the server `client` talks to (with an `enforcer` user's token).
    pub fn new(client: ServerClient) -> ServerVerdicts {
        ServerVerdicts { client }
    }

    /// Sends a batch of events to the audit log.
    pub fn send_events(&self, events: Vec<EnforcerEvent>) -> Result<(), VerdictError> {
        let body = EnforcerEvents { events };
        Ok(self
            .client
            .send_json("POST", "/api/v1/audit/events", &body)?)
    }
}

impl VerdictSource for ServerVerdicts {
    fn verdict(
        &self,
        image: &ImageReference,
        digest: Option<&Digest>,
    ) -> Result<ImageVerdict, VerdictError> {
        let mut request = self
            .client
            .request("GET", "/api/v1/verdicts")
            .query("image", &name_and_tag(image));
        if let Some(digest) = digest {
            request = request.query("digest", digest.as_str());
        }
        let response = self.client.send(request, None)?;
        let wire: server::ImageVerdict = kabuto_client::read_json(response)?;
        ImageVerdict::try_from(wire)
    }

    fn generation(&self) -> Result<Option<u64>, VerdictError> {
        let answer: VerdictGeneration = self.client.get_json("/api/v1/verdicts/generation")?;
        Ok(Some(answer.generation))
    }

    fn describe(&self) -> String {
        format!("verdicts from the server at {}", self.client.base_url())
    }
}

/// `registry/repository:tag`, or `registry/repository` for a reference by digest alone.
pub(crate) fn name_and_tag(image: &ImageReference) -> String {
    match image.tag() {
        Some(tag) => format!("{}:{tag}", image.name()),
        None => image.name(),
    }
}
