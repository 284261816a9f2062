//! The period report as OSCAL 1.1: an `assessment-results` document (one result for the
//! period; one finding per tested criterion, `target.type` `objective-id`, satisfied when it
//! was shown effective every day of the period and not-satisfied otherwise; one observation
//! per evidence package, citing its manifest by SHA-256 and its `collected` time) and the
//! minimal `assessment-plan` it imports. UUIDs are derived from the content (name-based), so
//! the same period gives the same documents.

use super::PeriodReport;
use crate::canonical;
use serde_json::{json, Value};

/// The OSCAL version written.
pub const OSCAL_VERSION: &str = "1.1.2";

/// File name of the plan the results import.
pub const PLAN_FILE: &str = "assessment-plan.json";

/// A name-based (version 5 layout) UUID from `parts`.
fn uuid(parts: &[&str]) -> String {
    let h = canonical::sha256_hex(parts.join("\u{0}").as_bytes());
    let b = h.as_bytes();
    let s = |a: usize, z: usize| String::from_utf8_lossy(&b[a..z]).into_owned();
    let variant = ["8", "9", "a", "b"][usize::from(b[16] % 4)];
    format!("{}-{}-5{}-{variant}{}-{}", s(0, 8), s(8, 12), s(13, 16), s(17, 20), s(20, 32))
}

fn metadata(r: &PeriodReport, title: String) -> Value {
    json!({
        "title": title,
        "last-modified": r.generated_at,
        "version": format!("{} {}..{}", r.tenant, r.from, r.to),
        "oscal-version": OSCAL_VERSION,
        "props": [{"name": "tool", "ns": "https://github.com/driftgate", "value": format!("driftgate {}", env!("CARGO_PKG_VERSION"))}],
    })
}

/// The assessment plan the results import.
pub fn assessment_plan(r: &PeriodReport) -> Value {
    json!({
        "assessment-plan": {
            "uuid": uuid(&["plan", &r.tenant, &r.from, &r.to]),
            "metadata": metadata(r, format!("SOC 2 configuration assessment plan: {} ({})", r.tenant, r.platform.as_deref().unwrap_or("?"))),
            "import-ssp": {"href": format!("#ssp-{}", r.tenant)},
            "reviewed-controls": {
                "description": "The SOC 2 criteria the bundled policy packs map their rules to, evaluated by driftgate on each daily configuration snapshot.",
                "control-selections": [{"include-all": {}}],
            },
        }
    })
}

/// The assessment results.
pub fn assessment_results(r: &PeriodReport) -> Value {
    let mut observations = Vec::new();
    let mut by_package = std::collections::BTreeMap::new();
    for d in &r.days {
        for p in &d.packages {
            let id = uuid(&["observation", &r.tenant, &p.manifest_sha256]);
            by_package.insert(d.date.clone(), id.clone());
            observations.push(json!({
                "uuid": id,
                "title": format!("Daily configuration check {} (sequence {})", d.date, p.sequence),
                "description": format!("driftgate run {} of tenant {}: evidence package {} in {}.", p.run_id, r.tenant, p.manifest, r.store),
                "methods": ["TEST"],
                "types": ["control-objective"],
                "collected": p.created_at,
                "relevant-evidence": [{
                    "href": p.manifest,
                    "description": format!("Signed evidence manifest, SHA-256 {}", p.manifest_sha256),
                    "props": [{"name": "manifest-sha256", "ns": "https://github.com/driftgate", "value": p.manifest_sha256}],
                }],
            }));
        }
    }
    if !r.integrity.ok {
        observations.push(json!({
            "uuid": uuid(&["integrity", &r.tenant, &r.from, &r.to]),
            "title": "Evidence integrity failure",
            "description": format!(
                "The tenant's evidence chain did not verify: {} problem(s), {} package(s) of the period left out. The findings below rest only on the packages that verified.",
                r.integrity.problems.iter().filter(|p| p.severity == "error").count(),
                r.integrity.excluded.len()
            ),
            "methods": ["EXAMINE"],
            "collected": r.generated_at,
        }));
    }
    let mut findings = Vec::new();
    for c in r.controls.iter().filter(|c| c.tested) {
        let effective = c.exceptions.is_empty() && c.waivers.iter().all(|w| w.days_expired == 0) && r.integrity.ok;
        let related: Vec<Value> = r
            .days
            .iter()
            .filter(|d| d.controls.contains_key(&c.id))
            .filter_map(|d| by_package.get(&d.date))
            .map(|u| json!({"observation-uuid": u}))
            .collect();
        let mut description = format!(
            "{} of {} day(s) tested; {} passed, {} passed on a waiver, {} failed, {} inconclusive, {} without a run; {} exception(s).",
            c.days_tested,
            r.days.len(),
            c.days_pass,
            c.days_waived,
            c.days_fail,
            c.days_inconclusive,
            c.days_no_run,
            c.exceptions.len()
        );
        for e in &c.exceptions {
            description.push_str(&format!(
                " Exception {} to {} ({} day(s)){}.",
                e.start,
                e.end,
                e.days,
                e.remediated_on
                    .as_ref()
                    .map(|d| format!(", remediated {d}"))
                    .unwrap_or_else(|| ", not remediated in the period".into())
            ));
        }
        let mut finding = json!({
            "uuid": uuid(&["finding", &r.tenant, &r.from, &r.to, &c.id]),
            "title": format!("{} {}", c.id, c.title),
            "description": description,
            "target": {
                "type": "objective-id",
                "target-id": c.id,
                "status": {"state": if effective { "satisfied" } else { "not-satisfied" }},
            },
        });
        if !related.is_empty() {
            finding["related-observations"] = Value::Array(related);
        }
        findings.push(finding);
    }
    let mut result = json!({
        "uuid": uuid(&["result", &r.tenant, &r.from, &r.to]),
        "title": format!("SOC 2 configuration controls of {} from {} to {}", r.tenant, r.from, r.to),
        "description": "Operating effectiveness over the period, from driftgate's verified chain of daily evidence packages.",
        "start": format!("{}T00:00:00Z", r.from),
        "end": format!("{}T23:59:59Z", r.to),
        "reviewed-controls": {"control-selections": [{"include-all": {}}]},
    });
    if !observations.is_empty() {
        result["observations"] = Value::Array(observations);
    }
    if !findings.is_empty() {
        result["findings"] = Value::Array(findings);
    }
    json!({
        "assessment-results": {
            "uuid": uuid(&["results", &r.tenant, &r.from, &r.to]),
            "metadata": metadata(r, format!("SOC 2 Type II configuration evidence: {} ({} to {})", r.tenant, r.from, r.to)),
            "import-ap": {"href": PLAN_FILE},
            "results": [result],
        }
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuids_have_the_oscal_form_and_depend_on_their_names() {
        let a = super::uuid(&["x", "y"]);
        let re = regex::Regex::new("^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$").unwrap();
        assert!(re.is_match(&a), "{a}");
        assert_ne!(a, super::uuid(&["x", "z"]));
        assert_eq!(a, super::uuid(&["x", "y"]));
    }
}
