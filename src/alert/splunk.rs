//! `splunk`: Splunk HTTP Event Collector. One event per finding and per drift record plus a
//! summary event, sent in batches of at most 500 concatenated events.

use super::{Message, Sink};
use crate::report::Report;
use serde_json::{json, Value};

/// A Splunk HEC endpoint.
pub struct Splunk {
    /// The configured `sourcetype` (default `driftgate`, and `genesys:cloud:audit` for audit
    /// events).
    pub sourcetype: Option<String>,
    /// `index`, when set.
    pub index: Option<String>,
}

impl Splunk {
    fn event(&self, r: &Report, kind: &str, body: Value) -> String {
        let time = time::OffsetDateTime::parse(&r.run.started_at, &time::format_description::well_known::Rfc3339)
            .map(|t| t.unix_timestamp())
            .unwrap_or(0);
        self.with_index(json!({
            "time": time,
            "host": "driftgate",
            "source": format!("driftgate:{}", r.snapshot.tenant),
            "sourcetype": self.sourcetype("driftgate"),
            "event": {"kind": kind, "tenant": r.snapshot.tenant, "platform": r.snapshot.platform, "run_id": r.run.id, "data": body},
        }))
    }

    fn sourcetype(&self, default: &str) -> String {
        self.sourcetype.clone().unwrap_or_else(|| default.to_string())
    }

    fn with_index(&self, mut e: Value) -> String {
        if let Some(i) = &self.index {
            e["index"] = json!(i);
        }
        e.to_string()
    }
}

impl Sink for Splunk {
    fn bodies(&self, message: &Message<'_>) -> Vec<(String, &'static str)> {
        let events: Vec<String> = match *message {
            Message::Report(r) => {
                let mut events = vec![self.event(r, "summary", json!({"gate": r.gate, "summary": r.summary}))];
                events.extend(
                    r.findings.iter().map(|f| self.event(r, "finding", serde_json::to_value(f).unwrap_or(Value::Null))),
                );
                events.extend(
                    r.drift.iter().map(|d| self.event(r, "drift", serde_json::to_value(d).unwrap_or(Value::Null))),
                );
                events
            }
            Message::Notice { kind, message, fields } => vec![json!({
                "host": "driftgate", "source": "driftgate", "sourcetype": self.sourcetype("driftgate"),
                "event": {"kind": kind, "message": message, "data": fields}
            })
            .to_string()],
            Message::AuditEvents { tenant, events } => events
                .iter()
                .map(|(date, _, line)| {
                    let event: Value = serde_json::from_slice(line).unwrap_or(Value::Null);
                    let t = time::OffsetDateTime::parse(date, &time::format_description::well_known::Rfc3339)
                        .map(|t| t.unix_timestamp())
                        .unwrap_or(0);
                    self.with_index(
                        json!({"time": t, "host": "driftgate", "source": format!("driftgate:audit:{tenant}"),
                                           "sourcetype": self.sourcetype("genesys:cloud:audit"), "event": event}),
                    )
                })
                .collect(),
        };
        events.chunks(super::BATCH).map(|c| (c.join("\n"), "application/json")).collect()
    }
}
