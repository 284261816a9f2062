//! `text`: the terminal summary a person reads after `driftgate check`.

use super::status_word;
use super::Render;
use crate::diff::ChangeKind;
use crate::policy::{Level, WaiverStatus};
use crate::report::{ControlStatus, GateResult, Report};
use serde_json::Value;
use std::fmt::Write;

/// The text renderer.
pub struct Text;

const MAX_VALUE: usize = 80;

impl Render for Text {
    fn name(&self) -> &'static str {
        "text"
    }

    fn file_name(&self) -> &'static str {
        "report.txt"
    }

    fn render(&self, r: &Report) -> String {
        let mut o = String::new();
        header(&mut o, r);
        controls(&mut o, r);
        findings(&mut o, r);
        drift(&mut o, r);
        quarantine(&mut o, r);
        waivers(&mut o, r);
        super::neutralize(&o, false)
    }
}

fn short(h: &str) -> &str {
    &h[..h.len().min(12)]
}

fn header(o: &mut String, r: &Report) {
    let s = &r.snapshot;
    let _ = writeln!(o, "driftgate {} check: {} ({})", r.tool.version, s.tenant, s.platform);
    let _ = writeln!(o, "run        {}  {} .. {}", r.run.id, r.run.started_at, r.run.finished_at);
    let _ = writeln!(
        o,
        "snapshot   collected {}  config sha256 {}",
        s.collected_at.as_deref().unwrap_or("(unknown)"),
        short(&s.sha256)
    );
    match &r.baseline {
        Some(b) => {
            let git = match &b.git {
                Some(g) => format!(
                    "  git {}{}",
                    g.commit.as_deref().map_or("(uncommitted)", short),
                    if g.modified { " MODIFIED (not approved)" } else { "" }
                ),
                None => String::new(),
            };
            let _ = writeln!(o, "baseline   {}  sha256 {}{git}", b.source, short(&b.sha256));
        }
        None => {
            let _ = writeln!(o, "baseline   none: drift was not checked");
        }
    }
    if let Some(a) = super::attribution_summary(r) {
        let _ = writeln!(o, "audit      {a}");
    }
    let _ = writeln!(o, "policies   {} files  sha256 {}", r.policy_bundle.files.len(), short(&r.policy_bundle.sha256));
    let verdict = match r.gate.result {
        GateResult::Pass => "PASS".to_string(),
        GateResult::Fail => format!("FAIL ({})", r.gate.reasons.join(", ")),
    };
    let on: Vec<String> = r.gate.fail_on.iter().map(|f| format!("{f:?}").to_lowercase()).collect();
    let _ = writeln!(o, "\ngate: {verdict}  [fails on: {}]", on.join(", "));
    let sm = &r.summary;
    let _ = writeln!(
        o,
        "summary: {} violation(s), {} warning(s), {} waived, {} drift record(s), {} quarantined",
        sm.violations, sm.warnings, sm.waived, sm.changes, sm.quarantined
    );
}

fn controls(o: &mut String, r: &Report) {
    let c = &r.summary.controls;
    let _ = writeln!(
        o,
        "\nControls: {} PASS, {} FAIL, {} INCONCLUSIVE, {} WAIVED, {} NOT_TESTED",
        c.pass, c.fail, c.inconclusive, c.waived, c.not_tested
    );
    for ctl in r.controls.iter().filter(|c| c.status != ControlStatus::NotTested) {
        let pop: Vec<String> = ctl.population.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = writeln!(
            o,
            "  {:<12} {:<6} {}  [{} rule(s), {} finding(s); population {}]",
            status_word(ctl.status),
            ctl.id,
            ctl.title,
            ctl.rules.len(),
            ctl.findings,
            if pop.is_empty() { "-".to_string() } else { pop.join(" ") }
        );
        if let (ControlStatus::Inconclusive, Some(why)) = (ctl.status, &ctl.reason) {
            let _ = writeln!(o, "               why: {why}");
        }
    }
    let untested: Vec<&str> =
        r.controls.iter().filter(|c| c.status == ControlStatus::NotTested).map(|c| c.id.as_str()).collect();
    if !untested.is_empty() {
        let _ = writeln!(o, "  NOT_TESTED   {}", untested.join(" "));
    }
}

fn findings(o: &mut String, r: &Report) {
    if r.findings.is_empty() {
        let _ = writeln!(o, "\nFindings: none");
        return;
    }
    let _ = writeln!(o, "\nFindings:");
    for f in &r.findings {
        let level = match (f.level, f.waiver.as_ref().map(|w| w.status)) {
            (Level::Violation, Some(WaiverStatus::Active)) => "WAIVED",
            (Level::Violation, _) => "VIOLATION",
            (Level::Warning, _) => "WARNING",
        };
        let _ = writeln!(o, "  {level:<9} [{}] {} ({}): {}", f.severity.as_str(), f.id, f.controls.join(", "), f.msg);
        if let Some(res) = &f.resource {
            let name = res.name.as_deref().map(|n| format!(" \"{n}\"")).unwrap_or_default();
            let path = f.path.as_deref().filter(|p| !p.is_empty()).map(|p| format!(" at {p}")).unwrap_or_default();
            let _ = writeln!(o, "            {}/{}{name}{path}", res.resource_type, res.id);
        }
        if let Some(w) = &f.waiver {
            let _ = writeln!(
                o,
                "            waiver {} by {} until {} ({:?})",
                w.ticket, w.approved_by, w.expires, w.status
            );
        }
    }
}

fn show(v: &Option<Value>) -> String {
    match v {
        None => "-".to_string(),
        Some(v) => {
            let s = String::from_utf8(crate::canonical::to_vec(v)).unwrap_or_default();
            if s.chars().count() > MAX_VALUE {
                format!("{}…", s.chars().take(MAX_VALUE).collect::<String>())
            } else {
                s
            }
        }
    }
}

fn drift(o: &mut String, r: &Report) {
    if !r.summary.drift_checked {
        let _ = writeln!(o, "\nDrift: not checked (no baseline)");
        return;
    }
    if r.drift.is_empty() {
        let _ = writeln!(o, "\nDrift: none");
        return;
    }
    let _ = writeln!(o, "\nDrift ({} record(s)):", r.drift.len());
    for c in &r.drift {
        let name = c.resource_name.as_deref().map(|n| format!(" \"{n}\"")).unwrap_or_default();
        let what = match c.change {
            ChangeKind::Added => format!("added {}", show(&c.after)),
            ChangeKind::Removed => format!("removed {}", show(&c.before)),
            ChangeKind::Modified => format!("{} -> {}", show(&c.before), show(&c.after)),
        };
        let path = if c.path.is_empty() { String::new() } else { format!(" at {}", c.path) };
        let _ = writeln!(o, "  {}/{}{name}{path}: {what}", c.resource_type, c.resource_id);
        if let Some(a) = super::attribution_text(c) {
            let _ = writeln!(o, "      {a}");
        }
    }
}

fn quarantine(o: &mut String, r: &Report) {
    let unchecked: Vec<&str> = r.schema_gate.iter().filter(|(_, g)| !g.validated).map(|(t, _)| t.as_str()).collect();
    if !unchecked.is_empty() {
        let _ = writeln!(o, "\nSchema gate: no schema for {} (items passed unchecked)", unchecked.join(", "));
    }
    if r.quarantine.is_empty() {
        return;
    }
    let _ = writeln!(o, "\nQuarantine ({} item(s), kept out of diff and policies):", r.quarantine.len());
    for q in &r.quarantine {
        let _ = writeln!(o, "  {}/{} ({})", q.resource_type, q.resource_id, q.schema);
        for e in &q.errors {
            let at = if e.instance_path.is_empty() { "(item)" } else { &e.instance_path };
            let _ = writeln!(o, "    {} {at}: {}", e.schema, e.message);
        }
    }
}

fn waivers(o: &mut String, r: &Report) {
    let notable: Vec<_> = r.waivers.iter().filter(|w| w.status != WaiverStatus::Active).collect();
    if notable.is_empty() {
        return;
    }
    let _ = writeln!(o, "\nWaivers needing attention:");
    for w in notable {
        let _ = writeln!(
            o,
            "  {:?}: {} on {}/{} ({}, expires {})",
            w.status,
            w.waiver.rule,
            w.waiver.resource.resource_type,
            w.waiver.resource.id,
            w.waiver.ticket,
            w.waiver.expires
        );
    }
}
