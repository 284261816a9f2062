//! `sarif`: SARIF 2.1.0 for code-scanning dashboards, shaped as GitHub code scanning reads
//! it. One `reportingDescriptor` per policy rule (id = `custom.id`) with `fullDescription`,
//! `help.markdown` (remediation and criteria) and `security-severity`; levels from severity;
//! locations in the snapshot file as given (relative to the repository root; the baseline
//! for a resource only it has) with line numbers, else in the normalized snapshot; `primaryLocationLineHash` (the
//! fingerprint GitHub matches results by) stable across runs; one `automationDetails.id` per
//! tenant; waived findings as accepted suppressions; within GitHub's limits (25,000 results,
//! 10 MB gzipped), the most severe results kept and the cut said.

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

/// GitHub code scanning's limits on one upload.
const MAX_RESULTS: usize = 25_000;
const MAX_GZIPPED_BYTES: usize = 10 * 1024 * 1024;

/// The `security-severity` GitHub ranks alerts by (critical ≥ 9, high ≥ 7, medium ≥ 4).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.5",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "1.0",
    }
}

fn result(report: &Report, f: &Finding, rule_index: usize) -> Value {
    // In the file as given (relative to the repository root) when the finding was located
    // there, so code scanning shows it on that file; else in the normalized snapshot.
    let at = f.shown_location();
    let uri = at.map_or(NORMALIZED_SNAPSHOT_FILE, |l| l.file.as_str());
    let mut location = json!({"physicalLocation": {"artifactLocation": {"uri": uri}}});
    if let Some(l) = at {
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
        "message": {"text": super::message_with_attribution(report, f)},
        "locations": [location],
        "partialFingerprints": {"primaryLocationLineHash": f.fingerprint, "driftgateFinding/v1": f.fingerprint},
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
                let title = rule.title.clone().unwrap_or_else(|| rule.id.clone());
                let description = rule.description.clone().unwrap_or_else(|| title.clone());
                let remediation = rule.remediation.as_deref().unwrap_or("See the rule's policy for what it requires.");
                let markdown = format!(
                    "**{title}** (`{}`)\n\n{description}\n\n**Remediation:** {remediation}\n\n**SOC 2 criteria:** {}",
                    rule.id,
                    rule.controls.join(", ")
                );
                json!({
                    "id": rule.id,
                    "name": rule.rule,
                    "shortDescription": {"text": title},
                    "fullDescription": {"text": description},
                    "help": {"text": remediation, "markdown": markdown},
                    "defaultConfiguration": {"level": level(rule.level, rule.severity)},
                    "properties": {
                        "controls": rule.controls,
                        "severity": rule.severity.as_str(),
                        "security-severity": security_severity(rule.severity),
                        "tags": rule.controls.iter().map(|c| format!("soc2/{c}")).collect::<Vec<_>>(),
                    },
                })
            })
            .collect();
        let index = |id: &str| r.rules.iter().position(|x| x.id == id).unwrap_or(0);
        // Most severe first, so that a cut at GitHub's limits drops the least severe.
        let mut order: Vec<&Finding> = r.findings.iter().collect();
        order.sort_by_key(|f| f.severity); // Severity orders critical first
        let results: Vec<Value> = order.iter().take(MAX_RESULTS).map(|f| result(r, f, index(&f.id))).collect();
        let mut doc = self.document(r, rules, results);
        let mut kept = doc["runs"][0]["results"].as_array().map_or(0, Vec::len);
        while kept > 0 && over_upload_limit(&doc) {
            kept = kept * 9 / 10;
            if let Some(results) = doc["runs"][0]["results"].as_array_mut() {
                results.truncate(kept);
            }
        }
        if kept < r.findings.len() {
            let note = format!(
                "{} of {} results are in this file (GitHub code scanning takes at most {MAX_RESULTS} results and \
                 {} MB gzipped per upload): the most severe; report.json holds every finding",
                kept,
                r.findings.len(),
                MAX_GZIPPED_BYTES / (1024 * 1024)
            );
            doc["runs"][0]["invocations"][0]["toolExecutionNotifications"] =
                json!([{"level": "warning", "message": {"text": note}}]);
            doc["runs"][0]["properties"]["resultsTruncated"] = json!({"kept": kept, "total": r.findings.len()});
        }
        let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// Whether the document is larger gzipped than GitHub takes (serialized once; only one
/// larger than the limit before compression is compressed to find out).
fn over_upload_limit(doc: &Value) -> bool {
    use std::io::Write;
    let text = serde_json::to_string_pretty(doc).unwrap_or_default();
    if text.len() <= MAX_GZIPPED_BYTES {
        return false;
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = gz.write_all(text.as_bytes());
    gz.finish().map_or(true, |b| b.len() > MAX_GZIPPED_BYTES)
}

/// The files results point into: the snapshot (and baseline) as given, or the normalized
/// snapshot.
fn artifacts(r: &Report) -> Vec<Value> {
    let mut uris: Vec<&str> =
        r.findings.iter().map(|f| f.shown_location().map_or(NORMALIZED_SNAPSHOT_FILE, |l| l.file.as_str())).collect();
    uris.sort_unstable();
    uris.dedup();
    if uris.is_empty() {
        uris.push(NORMALIZED_SNAPSHOT_FILE);
    }
    uris.into_iter().map(|u| json!({"location": {"uri": u}, "hashes": {}})).collect()
}

impl Sarif {
    fn document(&self, r: &Report, rules: Vec<Value>, results: Vec<Value>) -> Value {
        json!({
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [{
                "tool": {"driver": {"name": "driftgate", "version": r.tool.version, "rules": rules}},
                "automationDetails": {"id": format!("driftgate/{}/", r.snapshot.tenant)},
                "invocations": [{
                    "executionSuccessful": true,
                    "startTimeUtc": r.run.started_at,
                    "endTimeUtc": r.run.finished_at,
                }],
                "artifacts": artifacts(r),
                "results": results,
                "properties": {"configurationSha256": r.snapshot.sha256, "policyBundleSha256": r.policy_bundle.sha256},
            }],
        })
    }
}
