//! Notification outputs: the raw JSON of the API (Aqua's `/api/v2/notification/outputs` shape,
//! flat: `name`, `type`, then the fields of that type) and the checked domain types.
//!
//! Secrets are the webhook's `secret` and header values, the Slack and Teams `webhook_url`
//! (the URL is the credential) and the email `password`. The API view shows each as
//! `<redacted>`; a raw output sent back with `<redacted>` in such a field keeps the stored
//! value ([`RawOutput::keep_redacted`]), and a new output with the placeholder is refused.

use std::collections::BTreeMap;
use std::fmt;

use lettre::message::Mailbox;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use url::Url;

use zeroize::Zeroizing;

use crate::secret::{REDACTED, Secret};

/// An output as the API receives it. Unknown fields are refused, naming the field.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RawOutput {
    Webhook(RawWebhook),
    Slack(RawChatWebhook),
    Teams(RawChatWebhook),
    Email(RawEmail),
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawWebhook {
    pub name: String,
    /// Where the event is POSTed (shown by the API: put credentials in `secret` or `headers`).
    pub url: String,
    /// The HMAC-SHA256 key that signs each body (`X-Kabuto-Signature`). Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub secret: Option<Secret>,
    /// Extra request headers, e.g. an `Authorization` the receiver wants. Values are secret.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(with = "BTreeMap<String, String>")]
    pub headers: BTreeMap<String, Secret>,
}

/// Slack and Teams: an incoming-webhook URL, which is itself the credential.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawChatWebhook {
    pub name: String,
    /// The incoming-webhook URL. Secret.
    #[schemars(with = "String")]
    pub webhook_url: Secret,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawEmail {
    pub name: String,
    pub host: String,
    /// Defaults by `tls`: 25 (`off`), 587 (`starttls`), 465 (`tls`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: SmtpTls,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub password: Option<Secret>,
    pub from: String,
    pub to: Vec<String>,
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain text (a relay on loopback or a trusted network).
    Off,
    /// Plain connection upgraded with STARTTLS, which must succeed.
    #[default]
    #[serde(rename = "starttls")]
    StartTls,
    /// TLS from the first byte (SMTPS).
    Tls,
}

/// An output's name: 1 to 128 characters, no control characters, not blank.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct OutputName(String);

impl OutputName {
    pub const MAX_CHARS: usize = 128;

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for OutputName {
    type Error = OutputError;

    fn try_from(name: String) -> Result<Self, OutputError> {
        let reason = if name.trim().is_empty() {
            "is empty"
        } else if name.chars().count() > Self::MAX_CHARS {
            "is longer than 128 characters"
        } else if name.chars().any(char::is_control) {
            "contains a control character"
        } else {
            return Ok(OutputName(name));
        };
        Err(OutputError::Name { name, reason })
    }
}

impl fmt::Display for OutputName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A checked output.
#[derive(Debug, Clone)]
pub struct Output {
    name: OutputName,
    kind: OutputKind,
}

#[derive(Debug, Clone)]
pub enum OutputKind {
    Webhook(WebhookOutput),
    Slack(SlackOutput),
    Teams(TeamsOutput),
    Email(EmailOutput),
}

#[derive(Debug, Clone)]
pub struct WebhookOutput {
    pub(crate) url: Url,
    pub(crate) secret: Option<Secret>,
    /// Checked names and values; none of them is one Kabuto sets itself.
    pub(crate) headers: Vec<(String, Secret)>,
}

#[derive(Debug, Clone)]
pub struct SlackOutput {
    pub(crate) webhook_url: ChatUrl,
}

#[derive(Debug, Clone)]
pub struct TeamsOutput {
    pub(crate) webhook_url: ChatUrl,
}

/// A chat incoming-webhook URL: Debug shows its scheme and host only.
#[derive(Clone)]
pub struct ChatUrl(pub(crate) Url);

impl fmt::Debug for ChatUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = self.0.host_str().unwrap_or_default();
        write!(f, "ChatUrl({}://{host}/{REDACTED})", self.0.scheme())
    }
}

#[derive(Debug, Clone)]
pub struct EmailOutput {
    pub(crate) smtp: SmtpSettings,
    pub(crate) from: Mailbox,
    pub(crate) to: Vec<Mailbox>,
}

#[derive(Debug, Clone)]
pub struct SmtpSettings {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) tls: SmtpTls,
    /// Username and password, both or neither.
    pub(crate) credentials: Option<(String, Secret)>,
}

/// A raw output that is not a usable one.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("notification output JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("notification output name `{name}` {reason}")]
    Name { name: String, reason: &'static str },
    #[error("notification output `{output}`: field `{field}`: {reason}")]
    Field {
        output: OutputName,
        field: String,
        reason: String,
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },
}

/// Request headers Kabuto sets itself; an output may not override them.
const RESERVED_HEADERS: [&str; 5] = [
    "content-type",
    "content-length",
    "host",
    "x-kabuto-signature",
    "x-kabuto-timestamp",
];

impl Output {
    /// Parses the API's JSON for one output.
    pub fn from_json(text: &str) -> Result<Output, OutputError> {
        Output::try_from(serde_json::from_str::<RawOutput>(text)?)
    }

    pub fn name(&self) -> &OutputName {
        &self.name
    }

    pub fn kind(&self) -> &OutputKind {
        &self.kind
    }

    /// The output as [`Output::from_json`] reads it back, secrets included: only for sealing
    /// it at rest ([`RawOutput::from`] is the view that shows them as `<redacted>`).
    pub fn to_json_with_secrets(&self) -> Result<Zeroizing<String>, serde_json::Error> {
        let mut value = serde_json::to_value(RawOutput::from(self))?;
        match &self.kind {
            OutputKind::Webhook(w) => {
                if let Some(secret) = &w.secret {
                    value["secret"] = secret.expose().into();
                }
                for (name, header) in &w.headers {
                    value["headers"][name] = header.expose().into();
                }
            }
            OutputKind::Slack(SlackOutput { webhook_url })
            | OutputKind::Teams(TeamsOutput { webhook_url }) => {
                value["webhook_url"] = webhook_url.0.as_str().into();
            }
            OutputKind::Email(e) => {
                if let Some((_, password)) = &e.smtp.credentials {
                    value["password"] = password.expose().into();
                }
            }
        }
        Ok(Zeroizing::new(value.to_string()))
    }

    /// `text` (an error message, which may quote a URL or what a server answered) with every
    /// secret of this output replaced by `<redacted>`.
    pub fn redact(&self, text: &str) -> String {
        let mut secrets: Vec<String> = match &self.kind {
            OutputKind::Webhook(w) => w
                .secret
                .iter()
                .chain(w.headers.iter().map(|(_, value)| value))
                .map(|s| s.expose().to_owned())
                .collect(),
            OutputKind::Slack(SlackOutput { webhook_url })
            | OutputKind::Teams(TeamsOutput { webhook_url }) => {
                let url = &webhook_url.0;
                // The whole URL, and its path and query in whatever form a message quotes.
                let tail = &url[url::Position::BeforePath..];
                vec![url.to_string(), tail.to_owned(), url.path().to_owned()]
            }
            OutputKind::Email(e) => e
                .smtp
                .credentials
                .iter()
                .map(|(_, password)| password.expose().to_owned())
                .collect(),
        };
        // Longest first, so a URL goes whole before its path is looked for.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets
            .iter()
            .filter(|s| s.len() > 1)
            .fold(text.to_owned(), |text, secret| {
                text.replace(secret, REDACTED)
            })
    }
}

impl RawOutput {
    /// The output with every secret field that holds `<redacted>` (as the API showed it)
    /// given the value `stored` has in that field, when `stored` is of the same type and has
    /// one. A placeholder left over is refused by [`Output::try_from`], naming the field.
    pub fn keep_redacted(self, stored: &Output) -> RawOutput {
        let kept = |value: Secret, stored: Option<&Secret>| match stored {
            Some(stored) if value.expose() == REDACTED => stored.clone(),
            _ => value,
        };
        match (self, &stored.kind) {
            (RawOutput::Webhook(mut raw), OutputKind::Webhook(w)) => {
                raw.secret = raw.secret.map(|s| kept(s, w.secret.as_ref()));
                raw.headers = raw
                    .headers
                    .into_iter()
                    .map(|(name, value)| {
                        let old = w.headers.iter().find(|(n, _)| *n == name).map(|(_, v)| v);
                        let value = kept(value, old);
                        (name, value)
                    })
                    .collect();
                RawOutput::Webhook(raw)
            }
            (RawOutput::Slack(mut raw), OutputKind::Slack(SlackOutput { webhook_url })) => {
                raw.webhook_url = kept(raw.webhook_url, Some(&Secret::new(webhook_url.0.as_str())));
                RawOutput::Slack(raw)
            }
            (RawOutput::Teams(mut raw), OutputKind::Teams(TeamsOutput { webhook_url })) => {
                raw.webhook_url = kept(raw.webhook_url, Some(&Secret::new(webhook_url.0.as_str())));
                RawOutput::Teams(raw)
            }
            (RawOutput::Email(mut raw), OutputKind::Email(e)) => {
                let old = e.smtp.credentials.as_ref().map(|(_, password)| password);
                raw.password = raw.password.map(|p| kept(p, old));
                RawOutput::Email(raw)
            }
            (raw, _) => raw,
        }
    }
}

impl OutputKind {
    /// The API's `type` value.
    pub fn code(&self) -> &'static str {
        match self {
            OutputKind::Webhook(_) => "webhook",
            OutputKind::Slack(_) => "slack",
            OutputKind::Teams(_) => "teams",
            OutputKind::Email(_) => "email",
        }
    }
}

impl TryFrom<RawOutput> for Output {
    type Error = OutputError;

    fn try_from(raw: RawOutput) -> Result<Output, OutputError> {
        match raw {
            RawOutput::Webhook(raw) => {
                let name = OutputName::try_from(raw.name)?;
                if raw.secret.as_ref().is_some_and(|s| s.expose().is_empty()) {
                    return Err(field_error(&name, "secret", "is empty", None));
                }
                no_placeholder(&name, "secret", raw.secret.as_ref())?;
                let kind = OutputKind::Webhook(WebhookOutput {
                    url: http_url(&name, "url", &raw.url)?,
                    secret: raw.secret,
                    headers: checked_headers(&name, raw.headers)?,
                });
                Ok(Output { name, kind })
            }
            RawOutput::Slack(raw) => {
                let (name, webhook_url) = chat_output(raw)?;
                let kind = OutputKind::Slack(SlackOutput { webhook_url });
                Ok(Output { name, kind })
            }
            RawOutput::Teams(raw) => {
                let (name, webhook_url) = chat_output(raw)?;
                let kind = OutputKind::Teams(TeamsOutput { webhook_url });
                Ok(Output { name, kind })
            }
            RawOutput::Email(raw) => email_output(raw),
        }
    }
}

fn chat_output(raw: RawChatWebhook) -> Result<(OutputName, ChatUrl), OutputError> {
    let name = OutputName::try_from(raw.name)?;
    no_placeholder(&name, "webhook_url", Some(&raw.webhook_url))?;
    let url = http_url(&name, "webhook_url", raw.webhook_url.expose())?;
    Ok((name, ChatUrl(url)))
}

/// A secret that is still the API's placeholder: there is no stored value to keep.
fn no_placeholder(
    output: &OutputName,
    field: impl Into<String>,
    secret: Option<&Secret>,
) -> Result<(), OutputError> {
    if secret.is_some_and(|s| s.expose() == REDACTED) {
        let reason = "is the placeholder `<redacted>`: send the value itself (only a change \
                      of an output of the same type keeps its stored value)";
        return Err(field_error(output, field, reason, None));
    }
    Ok(())
}

/// The API view of a checked output; secrets serialize as `<redacted>`.
impl From<&Output> for RawOutput {
    fn from(output: &Output) -> RawOutput {
        let name = output.name.0.clone();
        match &output.kind {
            OutputKind::Webhook(w) => RawOutput::Webhook(RawWebhook {
                name,
                url: w.url.to_string(),
                secret: w.secret.clone(),
                headers: w.headers.iter().cloned().collect(),
            }),
            OutputKind::Slack(s) => RawOutput::Slack(RawChatWebhook {
                name,
                webhook_url: Secret::new(s.webhook_url.0.as_str()),
            }),
            OutputKind::Teams(t) => RawOutput::Teams(RawChatWebhook {
                name,
                webhook_url: Secret::new(t.webhook_url.0.as_str()),
            }),
            OutputKind::Email(e) => RawOutput::Email(RawEmail {
                name,
                host: e.smtp.host.clone(),
                port: Some(e.smtp.port),
                tls: e.smtp.tls,
                username: e.smtp.credentials.as_ref().map(|(user, _)| user.clone()),
                password: e.smtp.credentials.as_ref().map(|(_, pass)| pass.clone()),
                from: e.from.to_string(),
                to: e.to.iter().map(Mailbox::to_string).collect(),
            }),
        }
    }
}

fn field_error(
    output: &OutputName,
    field: impl Into<String>,
    reason: impl Into<String>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
) -> OutputError {
    OutputError::Field {
        output: output.clone(),
        field: field.into(),
        reason: reason.into(),
        source,
    }
}

fn http_url(output: &OutputName, field: &str, text: &str) -> Result<Url, OutputError> {
    let url = Url::parse(text)
        .map_err(|e| field_error(output, field, "is not a URL", Some(Box::new(e))))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(field_error(
            output,
            field,
            "must be an http:// or https:// URL with a host",
            None,
        ));
    }
    Ok(url)
}

fn checked_headers(
    output: &OutputName,
    headers: BTreeMap<String, Secret>,
) -> Result<Vec<(String, Secret)>, OutputError> {
    headers
        .into_iter()
        .map(|(name, value)| {
            let field = format!("headers.{name}");
            let reason = if !is_http_token(&name) {
                "is not a valid header name"
            } else if RESERVED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                "is set by Kabuto and cannot be overridden"
            } else if value.expose().chars().any(|c| c.is_control() && c != '\t') {
                "value contains a control character"
            } else {
                no_placeholder(output, field, Some(&value))?;
                return Ok((name, value));
            };
            Err(field_error(output, field, reason, None))
        })
        .collect()
}

/// RFC 9110 `token`: what a header name may be.
fn is_http_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

fn email_output(raw: RawEmail) -> Result<Output, OutputError> {
    let name = OutputName::try_from(raw.name)?;
    if raw.host.trim().is_empty()
        || raw
            .host
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(field_error(
            &name,
            "host",
            "must be a host name or address",
            None,
        ));
    }
    let credentials = match (raw.username, raw.password) {
        (Some(user), Some(pass)) => Some((user, pass)),
        (None, None) => None,
        (Some(_), None) => {
            return Err(field_error(
                &name,
                "password",
                "is required with `username`",
                None,
            ));
        }
        (None, Some(_)) => {
            return Err(field_error(
                &name,
                "username",
                "is required with `password`",
                None,
            ));
        }
    };
    if credentials.is_some() && raw.tls == SmtpTls::Off {
        // lettre would send AUTH PLAIN in clear text.
        let reason = "would be sent unencrypted: set `tls` to `starttls` or `tls`";
        return Err(field_error(&name, "password", reason, None));
    }
    if raw.to.is_empty() {
        return Err(field_error(&name, "to", "needs at least one address", None));
    }
    no_placeholder(&name, "password", credentials.as_ref().map(|(_, p)| p))?;
    let from = mailbox(&name, "from".to_owned(), &raw.from)?;
    let to = raw
        .to
        .iter()
        .enumerate()
        .map(|(i, text)| mailbox(&name, format!("to[{i}]"), text))
        .collect::<Result<_, _>>()?;
    let port = raw.port.unwrap_or(match raw.tls {
        SmtpTls::Off => 25,
        SmtpTls::StartTls => 587,
        SmtpTls::Tls => 465,
    });
    let smtp = SmtpSettings {
        host: raw.host,
        port,
        tls: raw.tls,
        credentials,
    };
    Ok(Output {
        name,
        kind: OutputKind::Email(EmailOutput { smtp, from, to }),
    })
}

fn mailbox(output: &OutputName, field: String, text: &str) -> Result<Mailbox, OutputError> {
    text.parse::<Mailbox>().map_err(|e| {
        field_error(
            output,
            field,
            format!("`{text}` is not an email address"),
            Some(Box::new(e)),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Output, String> {
        Output::from_json(json).map_err(|e| e.to_string())
    }

    #[test]
    fn webhook_with_secret_and_headers() {
        let output = parse(
            r#"{"name":"ci","type":"webhook","url":"https://hooks.example/k","secret":"s3cr3t",
                "headers":{"Authorization":"Bearer t"}}"#,
        );
        let Ok(output) = output else {
            panic!("{output:?}")
        };
        assert_eq!(output.name().as_str(), "ci");
        assert_eq!(output.kind().code(), "webhook");
        let debug = format!("{output:?}");
        assert!(!debug.contains("s3cr3t"), "{debug}");
    }

    #[test]
    fn unknown_field_is_named() {
        let err =
            parse(r#"{"name":"s","type":"slack","webhook_url":"https://h/x","channel":"ops"}"#);
        let err = err.err().unwrap_or_default();
        assert!(err.contains("unknown field `channel`"), "{err}");
    }

    #[test]
    fn unknown_type_is_named() {
        let err = parse(r#"{"name":"p","type":"pagerduty"}"#)
            .err()
            .unwrap_or_default();
        assert!(err.contains("unknown variant `pagerduty`"), "{err}");
    }

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (
                r#"{"name":" ","type":"teams","webhook_url":"https://h/x"}"#,
                "name ` ` is empty",
            ),
            (
                r#"{"name":"t","type":"teams","webhook_url":"ftp://h/x"}"#,
                "field `webhook_url`",
            ),
            (
                r#"{"name":"w","type":"webhook","url":"nope"}"#,
                "field `url`: is not a URL",
            ),
            (
                r#"{"name":"w","type":"webhook","url":"http://h/","headers":{"Content-Type":"x"}}"#,
                "field `headers.Content-Type`: is set by Kabuto",
            ),
            (
                r#"{"name":"w","type":"webhook","url":"http://h/","headers":{"A":"x\ny"}}"#,
                "field `headers.A`: value contains a control character",
            ),
            (
                r#"{"name":"m","type":"email","host":"smtp.h","from":"a@h","to":["b@h","nope"]}"#,
                "field `to[1]`: `nope` is not an email address",
            ),
            (
                r#"{"name":"m","type":"email","host":"smtp.h","from":"a@h","to":[]}"#,
                "field `to`: needs at least one address",
            ),
            (
                r#"{"name":"m","type":"email","host":"smtp.h","username":"u","from":"a@h","to":["b@h"]}"#,
                "field `password`: is required with `username`",
            ),
            (
                r#"{"name":"m","type":"email","host":"h","tls":"off","username":"u","password":"p",
                    "from":"a@h","to":["b@h"]}"#,
                "field `password`: would be sent unencrypted",
            ),
            (
                r#"{"name":"w","type":"webhook","url":"http://h/","secret":""}"#,
                "field `secret`: is empty",
            ),
        ];
        for (json, expected) in cases {
            let err = parse(json).err().unwrap_or_default();
            assert!(err.contains(expected), "{json}: {err}");
        }
    }

    #[test]
    fn email_defaults_and_redacted_api_view() {
        let output = parse(
            r#"{"name":"mail","type":"email","host":"smtp.h","username":"u","password":"pa55word",
                "from":"Kabuto <k@h>","to":["ops@h"]}"#,
        );
        let Ok(output) = output else {
            panic!("{output:?}")
        };
        let view = serde_json::to_value(RawOutput::from(&output)).ok();
        let expected = serde_json::json!({
            "type": "email", "name": "mail", "host": "smtp.h", "port": 587, "tls": "starttls",
            "username": "u", "password": "<redacted>", "from": "Kabuto <k@h>", "to": ["ops@h"],
        });
        assert_eq!(view, Some(expected));
        assert!(!format!("{output:?}").contains("pa55word"));
    }

    fn view(output: &Output) -> serde_json::Value {
        serde_json::to_value(RawOutput::from(output)).unwrap_or_default()
    }

    #[test]
    fn chat_urls_and_header_values_are_secrets_too() {
        let slack =
            parse(r#"{"name":"s","type":"slack","webhook_url":"https://h/services/T1/B2/XYZ"}"#);
        let hook = parse(
            r#"{"name":"w","type":"webhook","url":"https://h/k","headers":{"Authorization":"Bearer XYZ"}}"#,
        );
        for output in [slack, hook] {
            let Ok(output) = output else {
                panic!("{output:?}")
            };
            let shown = format!("{} {output:?}", view(&output));
            assert!(!shown.contains("XYZ"), "{shown}");
            assert!(shown.contains(REDACTED), "{shown}");
        }
    }

    #[test]
    fn a_placeholder_keeps_the_stored_secret_and_is_refused_without_one() {
        let stored = parse(
            r#"{"name":"w","type":"webhook","url":"https://h/k","secret":"old-key",
                "headers":{"Authorization":"Bearer old"}}"#,
        );
        let Ok(stored) = stored else {
            panic!("{stored:?}")
        };
        let resent: RawOutput = serde_json::from_value(serde_json::json!({
            "type": "webhook", "name": "w", "url": "https://h/new", "secret": REDACTED,
            "headers": { "Authorization": REDACTED, "X-New": REDACTED },
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let kept = Output::try_from(resent.clone().keep_redacted(&stored))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            kept.contains("field `headers.X-New`: is the placeholder"),
            "{kept}"
        );
        let RawOutput::Webhook(mut raw) = resent else {
            panic!("a webhook")
        };
        raw.headers.remove("X-New");
        let kept = Output::try_from(RawOutput::Webhook(raw).keep_redacted(&stored));
        let Ok(Output {
            kind: OutputKind::Webhook(webhook),
            ..
        }) = kept
        else {
            panic!("{kept:?}")
        };
        assert_eq!(webhook.secret.as_ref().map(Secret::expose), Some("old-key"));
        assert_eq!(webhook.headers[0].1.expose(), "Bearer old");
        assert_eq!(webhook.url.as_str(), "https://h/new");

        let fresh = parse(r#"{"name":"m","type":"slack","webhook_url":"<redacted>"}"#);
        let fresh = fresh.err().unwrap_or_default();
        assert!(
            fresh.contains("field `webhook_url`: is the placeholder"),
            "{fresh}"
        );
    }

    #[test]
    fn redact_removes_every_secret_from_a_message() {
        let slack = parse(
            r#"{"name":"s","type":"slack","webhook_url":"https://h.test/services/T1/B2/XYZ?a=1"}"#,
        );
        let Ok(slack) = slack else {
            panic!("{slack:?}")
        };
        let message =
            "https://h.test/services/T1/B2/XYZ?a=1 answered; POST /services/T1/B2/XYZ?a=1";
        assert_eq!(
            slack.redact(message),
            "<redacted> answered; POST <redacted>"
        );
        let mail = parse(
            r#"{"name":"m","type":"email","host":"h","username":"u","password":"pa55",
                "from":"a@h","to":["b@h"]}"#,
        );
        let Ok(mail) = mail else { panic!("{mail:?}") };
        assert_eq!(mail.redact("auth pa55 refused"), "auth <redacted> refused");
    }

    #[test]
    fn the_json_with_secrets_reads_back_as_the_same_output() {
        let outputs = [
            r#"{"name":"w","type":"webhook","url":"https://h/k","secret":"k3y","headers":{"A":"b"}}"#,
            r#"{"name":"s","type":"slack","webhook_url":"https://h/services/T/B/X"}"#,
            r#"{"name":"t","type":"teams","webhook_url":"https://h/workflows/1"}"#,
            r#"{"name":"m","type":"email","host":"h","username":"u","password":"p4ss","from":"a@h","to":["b@h"]}"#,
        ];
        for json in outputs {
            let Ok(output) = parse(json) else {
                panic!("{json}")
            };
            let sealable = output.to_json_with_secrets().map(|j| j.to_string());
            let back = sealable.as_deref().map(parse);
            let Ok(Ok(back)) = back else {
                panic!("{json}: {back:?}")
            };
            let text = sealable.unwrap_or_default();
            for secret in ["k3y", "\"b\"", "/services/T/B/X", "/workflows/1", "p4ss"] {
                assert_eq!(json.contains(secret), text.contains(secret), "{text}");
            }
            assert_eq!(view(&back), view(&output));
        }
    }
}
