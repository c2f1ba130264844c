//! Slack and Microsoft Teams incoming webhooks: a short card naming trigger, image and summary.
//!
//! Teams: Office 365 connector webhooks (which took the legacy MessageCard) are being retired
//! in favour of Workflows ("Post to a channel when a webhook request is received"). Both accept
//! a `message` whose attachment is an Adaptive Card (`application/vnd.microsoft.card.adaptive`),
//! while Workflows rejects MessageCard, so Kabuto sends an Adaptive Card 1.4 in that envelope.

use serde_json::{Value, json};

use crate::error::Failure;
use crate::event::Event;
use crate::http::post_json;
use crate::output::{SlackOutput, TeamsOutput};
use crate::sink::{Notifier, Sink};

/// Slack's limit on a header block's text.
const SLACK_HEADER_CHARS: usize = 150;
/// Slack's limit on a section's text is 3000; a notification stays well below it.
const SUMMARY_CHARS: usize = 2000;

impl Sink for SlackOutput {
    fn deliver(&self, notifier: &Notifier, event: &Event) -> Result<(), Failure> {
        let payload = slack_payload(event)?.to_string();
        post_json(&notifier.agent, &self.webhook_url.0, &[], &payload)
    }
}

impl Sink for TeamsOutput {
    fn deliver(&self, notifier: &Notifier, event: &Event) -> Result<(), Failure> {
        let payload = teams_payload(event)?.to_string();
        post_json(&notifier.agent, &self.webhook_url.0, &[], &payload)
    }
}

fn headline(event: &Event) -> String {
    format!("{}: {}", event.trigger.title(), event.image)
}

fn slack_payload(event: &Event) -> Result<Value, Failure> {
    let summary = truncated(&event.summary, SUMMARY_CHARS);
    let context = match &event.digest {
        Some(digest) => format!("`{}` · {}", slack_escape(digest), event.time_rfc3339()?),
        None => event.time_rfc3339()?,
    };
    Ok(json!({
        // The notification and fallback text; blocks are what the channel shows.
        "text": slack_escape(&format!("{} - {}", headline(event), summary)),
        "blocks": [
            { "type": "header", "text": {
                "type": "plain_text", "text": truncated(&headline(event), SLACK_HEADER_CHARS) } },
            { "type": "section", "fields": [
                { "type": "mrkdwn", "text": format!("*Image*\n`{}`", slack_escape(&event.image)) },
                { "type": "mrkdwn", "text": format!("*Trigger*\n`{}`", event.trigger.code()) },
            ] },
            { "type": "section", "text": { "type": "mrkdwn", "text": slack_escape(&summary) } },
            { "type": "context", "elements": [ { "type": "mrkdwn", "text": context } ] },
        ],
    }))
}

fn teams_payload(event: &Event) -> Result<Value, Failure> {
    let mut facts = vec![
        json!({ "title": "Image", "value": event.image }),
        json!({ "title": "Trigger", "value": event.trigger.code() }),
        json!({ "title": "Time", "value": event.time_rfc3339()? }),
    ];
    if let Some(digest) = &event.digest {
        facts.insert(1, json!({ "title": "Digest", "value": digest }));
    }
    let card = json!({
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            { "type": "TextBlock", "text": headline(event), "weight": "Bolder", "size": "Medium",
              "wrap": true },
            { "type": "TextBlock", "text": truncated(&event.summary, SUMMARY_CHARS), "wrap": true },
            { "type": "FactSet", "facts": facts },
        ],
    });
    Ok(json!({
        "type": "message",
        "attachments": [ {
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": card,
        } ],
    }))
}

/// Slack treats `&`, `<` and `>` as control characters in message text.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// At most `max` characters, the last one an ellipsis when cut.
fn truncated(text: &str, max: usize) -> String {
    match text.char_indices().nth(max.saturating_sub(1)) {
        Some((cut, _)) if text.chars().count() > max => format!("{}…", &text[..cut]),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_counts_characters() {
        assert_eq!(truncated("abc", 3), "abc");
        assert_eq!(truncated("abcd", 3), "ab…");
        assert_eq!(truncated("ééééé", 4), "ééé…");
        assert_eq!(truncated("", 3), "");
    }

    #[test]
    fn slack_escapes_control_characters() {
        assert_eq!(slack_escape("a<b>&c"), "a&lt;b&gt;&amp;c");
    }
}
