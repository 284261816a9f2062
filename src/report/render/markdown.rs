//! `markdown`: the report for a pull-request comment or a wiki page.

use super::{finding_state, findings_by_control, resource_label, short_json, status_word, Render};
use crate::diff::ChangeKind;
use crate::report::{ControlStatus, GateResult, Report};
use std::fmt::Write;

/// The Markdown renderer.
pub struct Markdown;

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

impl Render for Markdown {
    fn name(&self) -> &'static str {
        "markdown"
    }

    fn file_name(&self) -> &'static str {
        "report.md"
    }

    fn render(&self, r: &Report) -> String {
        let mut o = String::new();
        let s = &r.snapshot;
        let gate = match r.gate.result {
            GateResult::Pass => "✅ **PASS**".to_string(),
            GateResult::Fail => format!("❌ **FAIL** ({})", r.gate.reasons.join(", ")),
        };
        let _ = writeln!(o, "# driftgate: {} ({})\n\n{gate}\n", s.tenant, s.platform);
        let _ = writeln!(o, "| | |\n|---|---|");
        let _ = writeln!(o, "| Collected | {} |", s.collected_at.as_deref().unwrap_or("unknown"));
        let _ = writeln!(o, "| Run | `{}` ({} .. {}) |", r.run.id, r.run.started_at, r.run.finished_at);
        let _ = writeln!(o, "| Configuration sha256 | `{}` |", s.sha256);
        match &r.baseline {
            Some(b) => {
                let git = b.git.as_ref().map_or(String::new(), |g| {
                    format!(
                        ", commit `{}`{}",
                        g.commit.as_deref().unwrap_or("uncommitted"),
                        if g.modified { ", **modified (not approved)**" } else { "" }
                    )
                });
                let _ = writeln!(o, "| Baseline | `{}` sha256 `{}`{git} |", cell(&b.source), b.sha256);
            }
            None => {
                let _ = writeln!(o, "| Baseline | none: drift was not checked |");
            }
        }
        if let Some(a) = super::attribution_summary(r) {
            let _ = writeln!(o, "| Attribution | {} |", cell(&a));
        }
        let _ = writeln!(o, "| Policy bundle sha256 | `{}` |", r.policy_bundle.sha256);
        let _ = writeln!(o, "| driftgate | {} |", r.tool.version);
        let sm = &r.summary;
        let _ = writeln!(
            o,
            "\n**{}** violation(s), **{}** warning(s), **{}** waived, **{}** drift record(s), **{}** quarantined item(s).\n",
            sm.violations, sm.warnings, sm.waived, sm.changes, sm.quarantined
        );
        let _ = writeln!(
            o,
            "## Controls\n\n| Control | Status | Title | Rules | Findings | Population |\n|---|---|---|---|---|---|"
        );
        for c in r.controls.iter().filter(|c| c.status != ControlStatus::NotTested) {
            let pop: Vec<String> = c.population.iter().map(|(k, v)| format!("{k}: {v}")).collect();
            let status = match &c.reason {
                Some(why) if c.status == ControlStatus::Inconclusive => {
                    format!("{} ({})", status_word(c.status), cell(why))
                }
                _ => status_word(c.status).to_string(),
            };
            let _ = writeln!(
                o,
                "| {} | {status} | {} | {} | {} | {} |",
                c.id,
                cell(&c.title),
                c.rules.join(", "),
                c.findings,
                pop.join(", ")
            );
        }
        let untested: Vec<&str> =
            r.controls.iter().filter(|c| c.status == ControlStatus::NotTested).map(|c| c.id.as_str()).collect();
        if !untested.is_empty() {
            let _ = writeln!(o, "\nNot tested: {}", untested.join(", "));
        }
        let by_control = findings_by_control(r);
        if !by_control.is_empty() {
            let _ = writeln!(o, "\n## Findings");
            for c in r.controls.iter().filter(|c| by_control.contains_key(c.id.as_str())) {
                let _ = writeln!(o, "\n### {} {}\n\n| | Severity | Rule | Resource | Message | Remediation |\n|---|---|---|---|---|---|", c.id, cell(&c.title));
                for f in &by_control[c.id.as_str()] {
                    let path =
                        f.path.as_deref().filter(|p| !p.is_empty()).map(|p| format!(" `{p}`")).unwrap_or_default();
                    let waiver = f
                        .waiver
                        .as_ref()
                        .map(|w| format!(" (waiver {}, {:?})", w.ticket, w.status).to_lowercase())
                        .unwrap_or_default();
                    let _ = writeln!(
                        o,
                        "| {}{waiver} | {} | `{}` | {}{path} | {} | {} |",
                        finding_state(f),
                        f.severity.as_str(),
                        f.id,
                        cell(&resource_label(f)),
                        cell(&f.msg),
                        cell(f.remediation.as_deref().unwrap_or(""))
                    );
                }
            }
        }
        if !r.drift.is_empty() {
            let _ = writeln!(o, "\n## Drift\n\n| Resource | Change | Path | Before | After |\n|---|---|---|---|---|");
            for d in &r.drift {
                let name = d.resource_name.as_deref().map(|n| format!(" \"{}\"", cell(n))).unwrap_or_default();
                let change = match d.change {
                    ChangeKind::Added => "added",
                    ChangeKind::Removed => "removed",
                    ChangeKind::Modified => "modified",
                };
                let _ = writeln!(
                    o,
                    "| {}/{}{name} | {change} | `{}` | `{}` | `{}` |",
                    d.resource_type,
                    d.resource_id,
                    if d.path.is_empty() { "(item)" } else { &d.path },
                    cell(&short_json(&d.before, 120)),
                    cell(&short_json(&d.after, 120))
                );
                if let Some(a) = super::attribution_text(d) {
                    let _ = writeln!(o, "| ↳ | {} | | | |", cell(&a));
                }
            }
        }
        if !r.quarantine.is_empty() {
            let _ = writeln!(o, "\n## Quarantine\n\n| Resource | Schema | Errors |\n|---|---|---|");
            for q in &r.quarantine {
                let errs: Vec<String> =
                    q.errors.iter().map(|e| format!("`{}` {}", e.instance_path, cell(&e.message))).collect();
                let _ = writeln!(o, "| {}/{} | {} | {} |", q.resource_type, q.resource_id, q.schema, errs.join("; "));
            }
        }
        if !r.waivers.is_empty() {
            let _ = writeln!(o, "\n## Waivers\n\n| Rule | Resource | Status | Matched | Ticket | Approved by | Expires | Reason |\n|---|---|---|---|---|---|---|---|");
            for w in &r.waivers {
                let _ = writeln!(
                    o,
                    "| `{}` | {}/{} | {:?} | {} | {} | {} | {} | {} |",
                    w.waiver.rule,
                    w.waiver.resource.resource_type,
                    w.waiver.resource.id,
                    w.status,
                    w.matched,
                    cell(&w.waiver.ticket),
                    cell(&w.waiver.approved_by),
                    w.waiver.expires,
                    cell(&w.waiver.reason)
                );
            }
        }
        super::neutralize(&o, false)
    }
}
