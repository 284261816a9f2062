//! `github`: GitHub Actions workflow commands, so findings appear as annotations on the run
//! (and on the pull request's files when the normalized snapshot is committed).

use super::{finding_state, Render};
use crate::report::{Finding, Report, NORMALIZED_SNAPSHOT_FILE};
use std::fmt::Write;

/// The GitHub Actions renderer.
pub struct Github;

/// Escapes a workflow command's message.
fn data(s: &str) -> String {
    let s = s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    // What is left that a log must not carry as itself (no line feed is left): other
    // control characters, bidi overrides and legacy `##[` commands.
    super::neutralize(&s, false)
}

/// Escapes a workflow command's property value.
fn prop(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

impl Render for Github {
    fn name(&self) -> &'static str {
        "github"
    }

    fn file_name(&self) -> &'static str {
        "report.github.txt"
    }

    fn render(&self, r: &Report) -> String {
        let mut o = String::new();
        let command = |f: &Finding| match finding_state(f) {
            "violation" => "error",
            "warning" => "warning",
            _ => "notice",
        };
        let drift_notice = r.summary.drift_checked && !r.drift.is_empty();
        // GitHub shows ten annotations of each level per step; the run's own notices (the
        // gate, and the drift count) take two of the ten notices.
        for level in ["error", "warning", "notice"] {
            let room = match level {
                "notice" => PER_LEVEL - 1 - usize::from(drift_notice),
                _ => PER_LEVEL,
            };
            let mut of_level: Vec<&Finding> = r.findings.iter().filter(|f| command(f) == level).collect();
            of_level.sort_by_key(|f| f.severity); // Severity orders critical first
            for f in of_level.iter().take(room) {
                annotation(&mut o, r, level, f);
            }
            if of_level.len() > room {
                let _ = writeln!(
                    o,
                    "driftgate: {} more {level} annotation(s) not shown (GitHub shows {PER_LEVEL} per level): every finding is in report.json and the SARIF file",
                    of_level.len() - room
                );
            }
        }
        if drift_notice {
            let _ =
                writeln!(o, "::notice title=driftgate drift::{} change(s) from the approved baseline", r.drift.len());
        }
        let _ = writeln!(
            o,
            "::notice title=driftgate {}::gate {} ({} violation(s), {} warning(s), {} drift record(s), {} quarantined)",
            prop(&r.snapshot.tenant),
            if r.gate.result == crate::report::GateResult::Pass { "PASS" } else { "FAIL" },
            r.summary.violations,
            r.summary.warnings,
            r.summary.changes,
            r.summary.quarantined
        );
        o
    }
}

/// Annotations GitHub shows per level and step.
const PER_LEVEL: usize = 10;

fn annotation(o: &mut String, r: &Report, command: &str, f: &Finding) {
    // The file as given in the repository when the finding was located there; else the
    // normalized snapshot of the evidence package.
    let at = f.shown_location();
    let file = at.map_or(NORMALIZED_SNAPSHOT_FILE.to_string(), |l| l.file.clone());
    let line = at.map_or(String::new(), |l| format!(",line={}", l.line));
    let title = format!("{} [{}] ({})", f.id, f.severity.as_str(), f.controls.join(" "));
    let resource = f.resource.as_ref().map_or(String::new(), |x| format!(" [{}/{}]", x.resource_type, x.id));
    let waived = if command == "notice" { " (waived)" } else { "" };
    let _ = writeln!(
        o,
        "::{command} file={}{line},title={}::{}{resource}{waived}",
        prop(&file),
        prop(&title),
        data(&super::message_with_attribution(r, f))
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn workflow_command_escaping() {
        assert_eq!(super::data("50%\nnext"), "50%25%0Anext");
        assert_eq!(super::prop("a,b:c"), "a%2Cb%3Ac");
    }
}
