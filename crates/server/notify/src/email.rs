//! Email over SMTP: a plain-text message per event, one connection per delivery.

use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport};

use crate::error::Failure;
use crate::event::Event;
use crate::output::{EmailOutput, SmtpSettings, SmtpTls};
use crate::sink::{Notifier, Sink};

impl Sink for EmailOutput {
    fn deliver(&self, notifier: &Notifier, event: &Event) -> Result<(), Failure> {
        let message = self
            .to
            .iter()
            .fold(Message::builder().from(self.from.clone()), |builder, to| {
                builder.to(to.clone())
            })
            .subject(subject(event))
            .header(ContentType::TEXT_PLAIN)
            .body(body(event)?)?;
        let transport = transport(&self.smtp, notifier)?;
        transport
            .send(&message)
            .map(drop)
            .map_err(|source| smtp_failure(&self.smtp, source))
    }
}

fn transport(smtp: &SmtpSettings, notifier: &Notifier) -> Result<SmtpTransport, Failure> {
    let tls_parameters =
        || TlsParameters::new(smtp.host.clone()).map_err(|source| smtp_failure(smtp, source));
    let tls = match smtp.tls {
        SmtpTls::Off => Tls::None,
        SmtpTls::StartTls => Tls::Required(tls_parameters()?),
        SmtpTls::Tls => Tls::Wrapper(tls_parameters()?),
    };
    let builder = SmtpTransport::builder_dangerous(&smtp.host)
        .port(smtp.port)
        .tls(tls)
        .timeout(Some(notifier.timeout));
    let builder = match &smtp.credentials {
        Some((user, password)) => {
            builder.credentials(Credentials::new(user.clone(), password.expose().to_owned()))
        }
        None => builder,
    };
    Ok(builder.build())
}

fn smtp_failure(smtp: &SmtpSettings, source: lettre::transport::smtp::Error) -> Failure {
    Failure::Smtp {
        server: format!("{}:{}", smtp.host, smtp.port),
        reply_code: source
            .status()
            .and_then(|code| code.to_string().parse().ok()),
        source,
    }
}

/// One line: control characters (a hostile image name's line breaks) become spaces.
fn subject(event: &Event) -> String {
    let subject = format!("[Kabuto] {}: {}", event.trigger.title(), event.image);
    subject
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

fn body(event: &Event) -> Result<String, Failure> {
    let digest = event.digest.as_deref().unwrap_or("unknown");
    let details = serde_json::to_string_pretty(&event.details)?;
    Ok(format!(
        "{title}\n\nImage:   {image}\nDigest:  {digest}\nTrigger: {code}\nTime:    {time}\n\n\
         {summary}\n\nDetails:\n{details}\n",
        title = event.trigger.title(),
        image = event.image,
        code = event.trigger.code(),
        time = event.time_rfc3339()?,
        summary = event.summary,
    ))
}
