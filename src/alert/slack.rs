//! `slack`: a Slack-compatible incoming webhook message (Block Kit) with a text fallback.

use super::{Message, Sink};
use crate::report::{GateResult, Report};
use serde_json::json;

/// A Slack incoming webhook.
pub struct Slack;

impl Sink for Slack {
    fn bodies(&self, message: &Message<'_>) -> Vec<(String, &'static str)> {
        let body = match *message {
            Message::Report(r) => report(r),
            Message::Notice { message, .. } => json!({"text": format!(":warning: driftgate: {message}")}),
            Message::AuditEvents { tenant, events } => {
                json!({"text": format!("driftgate: {} audit event(s) of {tenant} stored", events.len())})
            }
        };
        vec![(body.to_string(), "application/json")]
    }
}

/// The message of a report: a header, the summary, the top findings or drift, the run.
fn report(r: &Report) -> serde_json::Value {
    {
        let s = &r.summary;
        let verdict = if r.gate.result == GateResult::Pass { "passed" } else { "FAILED" };
        let headline = format!("driftgate: {} ({}) gate {verdict}", r.snapshot.tenant, r.snapshot.platform);
        let summary = format!(
            "*{}* violation(s), *{}* warning(s), *{}* drift record(s), *{}* quarantined item(s); controls: {} FAIL, {} INCONCLUSIVE",
            s.violations, s.warnings, s.changes, s.quarantined, s.controls.fail, s.controls.inconclusive
        );
        let mut items: Vec<String> = super::top_findings(r, 5)
            .iter()
            .map(|f| format!("• `{}` [{}] {}", f.id, f.severity.as_str(), f.msg))
            .collect();
        if !r.drift.is_empty() && items.len() < 5 {
            items.extend(r.drift.iter().take(5 - items.len()).map(|d| {
                format!(
                    "• drift: {} {}/{} {}",
                    format!("{:?}", d.change).to_lowercase(),
                    d.resource_type,
                    d.resource_id,
                    d.path
                )
            }));
        }
        let mut blocks = vec![
            json!({"type": "header", "text": {"type": "plain_text", "text": headline}}),
            json!({"type": "section", "text": {"type": "mrkdwn", "text": summary}}),
        ];
        if !items.is_empty() {
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": items.join("\n")}}));
        }
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": format!("run `{}` · configuration sha256 `{}`", r.run.id, &r.snapshot.sha256[..12.min(r.snapshot.sha256.len())])}]}));
        json!({"text": headline, "blocks": blocks})
    }
}
