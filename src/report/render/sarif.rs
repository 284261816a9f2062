//! `sarif`: SARIF 2.1.0 for code-scanning dashboards. One `reportingDescriptor` per policy
//! rule (id = `custom.id`), levels from severity, locations in the normalized snapshot with
//! line numbers, stable `partialFingerprints`, and waived findings as accepted suppressions.

use super::Render;
use crate::policy::{Level, Severity, WaiverStatus};
use crate::report::{Finding, Report, NORMALIZED_SNAPSHOT_FILE};
use serde_json::{json, Value};

/// The SARIF renderer.
pub struct Sarif;

/// SARIF `level` for a rule or finding.
fn level(l: Level, s: Severity) -> &'static str {
    match (l, s) {
        (Level::Violation, Severity::Critical | Severity::High) => "error",
        (Level::Violation, Severity::Medium) => "warning",
        (Level::Warning, Severity::Critical | Severity::High | Severity::Medium) => "warning",
        _ => "note",
    }
}

fn result(f: &Finding, rule_index: usize) -> Value {
    let mut location = json!({"physicalLocation": {"artifactLocation": {"uri": NORMALIZED_SNAPSHOT_FILE}}});
    if let Some(l) = &f.location {
        location["physicalLocation"]["region"] = json!({"startLine": l.line});
    }
    if let Some(r) = &f.resource {
        let name = format!("{}/{}{}", r.resource_type, r.id, f.path.as_deref().unwrap_or(""));
        location["logicalLocations"] = json!([{"fullyQualifiedName": name, "kind": "resource"}]);
    }
    let mut v = json!({
        "ruleId": f.id,
        "ruleIndex": rule_index,
        "level": level(f.level, f.severity),
        "message": {"text": f.msg},
        "locations": [location],
        "partialFingerprints": {"driftgateFinding/v1": f.fingerprint},
        "properties": {"controls": f.controls, "severity": f.severity.as_str()},
    });
    if let Some(w) = f.waiver.as_ref().filter(|w| w.status == WaiverStatus::Active) {
        v["suppressions"] = json!([{
            "kind": "external",
            "status": "accepted",
            "justification": format!("{} (ticket {}, approved by {}, until {})", w.reason, w.ticket, w.approved_by, w.expires),
        }]);
    }
    v
}

impl Render for Sarif {
    fn name(&self) -> &'static str {
        "sarif"
    }

    fn file_name(&self) -> &'static str {
        "report.sarif"
    }

    fn render(&self, r: &Report) -> String {
        let rules: Vec<Value> = r
            .rules
            .iter()
            .map(|rule| {
                let mut d = json!({
                    "id": rule.id,
                    "name": rule.rule,
                    "shortDescription": {"text": rule.title.clone().unwrap_or_else(|| rule.id.clone())},
                    "defaultConfiguration": {"level": level(rule.level, rule.severity)},
                    "properties": {
                        "controls": rule.controls,
                        "severity": rule.severity.as_str(),
                        "tags": rule.controls.iter().map(|c| format!("soc2/{c}")).collect::<Vec<_>>(),
                    },
                });
                if let Some(f) = r.findings.iter().find(|f| f.id == rule.id) {
                    if let Some(rem) = &f.remediation {
                        d["help"] = json!({"text": rem});
                    }
                }
                d
            })
            .collect();
        let index = |id: &str| r.rules.iter().position(|x| x.id == id).unwrap_or(0);
        let results: Vec<Value> = r.findings.iter().map(|f| result(f, index(&f.id))).collect();
        let doc = json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "driftgate", "version": r.tool.version, "rules": rules}},
                "automationDetails": {"id": format!("driftgate/{}/{}", r.snapshot.platform, r.snapshot.tenant)},
                "invocations": [{
                    "executionSuccessful": true,
                    "startTimeUtc": r.run.started_at,
                    "endTimeUtc": r.run.finished_at,
                }],
                "artifacts": [{"location": {"uri": NORMALIZED_SNAPSHOT_FILE}, "hashes": {}}],
                "results": results,
                "properties": {"configurationSha256": r.snapshot.sha256, "policyBundleSha256": r.policy_bundle.sha256},
            }],
        });
        let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
        s.push('\n');
        s
    }
}
