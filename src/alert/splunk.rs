//! `splunk`: Splunk HTTP Event Collector. One event per finding and per drift record plus a
//! summary event, sent in batches of at most 500 concatenated events.

use super::Sink;
use crate::report::Report;
use serde_json::{json, Value};

/// A Splunk HEC endpoint.
pub struct Splunk {
    /// `sourcetype` of every event.
    pub sourcetype: String,
    /// `index`, when set.
    pub index: Option<String>,
}

const BATCH: usize = 500;

impl Splunk {
    fn event(&self, r: &Report, kind: &str, body: Value) -> String {
        let time = time::OffsetDateTime::parse(&r.run.started_at, &time::format_description::well_known::Rfc3339)
            .map(|t| t.unix_timestamp())
            .unwrap_or(0);
        let mut e = json!({
            "time": time,
            "host": "driftgate",
            "source": format!("driftgate:{}", r.snapshot.tenant),
            "sourcetype": self.sourcetype,
            "event": {"kind": kind, "tenant": r.snapshot.tenant, "platform": r.snapshot.platform, "run_id": r.run.id, "data": body},
        });
        if let Some(i) = &self.index {
            e["index"] = json!(i);
        }
        e.to_string()
    }
}

impl Sink for Splunk {
    fn kind(&self) -> &'static str {
        "splunk"
    }

    fn bodies(&self, r: &Report) -> Vec<(String, &'static str)> {
        let mut events = vec![self.event(r, "summary", json!({"gate": r.gate, "summary": r.summary}))];
        events.extend(
            r.findings.iter().map(|f| self.event(r, "finding", serde_json::to_value(f).unwrap_or(Value::Null))),
        );
        events.extend(r.drift.iter().map(|d| self.event(r, "drift", serde_json::to_value(d).unwrap_or(Value::Null))));
        events.chunks(BATCH).map(|c| (c.join("\n"), "application/json")).collect()
    }
}
