//! `webhook`: one JSON document (`driftgate.alert/v1`) with the summary and the top items.

use super::{Message, Sink};
use crate::report::{ControlStatus, Report};
use serde_json::{json, Value};

/// A generic JSON webhook.
pub struct Webhook;

impl Sink for Webhook {
    fn bodies(&self, message: &Message<'_>) -> Vec<(String, &'static str)> {
        match *message {
            Message::Report(r) => vec![(report(r).to_string(), "application/json")],
            Message::Notice { kind, message, fields } => vec![(
                json!({"kind": format!("driftgate.{kind}"), "message": message, "data": fields}).to_string(),
                "application/json",
            )],
            Message::AuditEvents { tenant, events } => events
                .chunks(super::BATCH)
                .map(|c| {
                    let list: Vec<Value> =
                        c.iter().map(|(_, _, l)| serde_json::from_slice(l).unwrap_or(Value::Null)).collect();
                    let doc = json!({"kind": "driftgate.audit-events", "tenant": tenant, "events": list});
                    (doc.to_string(), "application/json")
                })
                .collect(),
        }
    }
}

/// The `driftgate.alert/v1` document of a report.
fn report(r: &Report) -> Value {
    {
        let controls: Vec<_> = r
            .controls
            .iter()
            .filter(|c| matches!(c.status, ControlStatus::Fail | ControlStatus::Inconclusive))
            .map(|c| json!({"id": c.id, "status": c.status, "title": c.title}))
            .collect();
        let findings: Vec<_> = super::top_findings(r, 10)
            .iter()
            .map(|f| json!({"id": f.id, "severity": f.severity, "level": f.level, "msg": f.msg, "resource": f.resource, "path": f.path}))
            .collect();
        let drift: Vec<_> = r
            .drift
            .iter()
            .take(10)
            .map(|d| json!({"resource_type": d.resource_type, "resource_id": d.resource_id, "resource_name": d.resource_name, "change": d.change, "path": d.path}))
            .collect();
        let doc = json!({
            "format": "driftgate.alert/v1",
            "tenant": r.snapshot.tenant,
            "platform": r.snapshot.platform,
            "run": r.run,
            "gate": r.gate,
            "summary": r.summary,
            "controls": controls,
            "top_findings": findings,
            "top_drift": drift,
            "quarantined": r.quarantine.iter().take(10).map(|q| json!({"resource_type": q.resource_type, "resource_id": q.resource_id})).collect::<Vec<_>>(),
        });
        doc
    }
}
