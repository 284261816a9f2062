//! `policy lint`: what a bundle needs before it can be trusted in a report. Every
//! finding-producing rule has METADATA with a unique `custom.id`, `custom.controls` known to
//! the control catalog, and a known `custom.severity`; no module calls a builtin that
//! regorus refuses, stubs or lacks; and everything compiles.

use super::bundle::Bundle;
use super::engine::CompiledPolicies;
use super::source::{refused_builtin, strip_comments};
use crate::error::Result;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

/// Builtin families regorus 0.14 does not implement: a call fails at evaluation.
const MISSING_BUILTINS: &[&str] = &["crypto.", "io.jwt.", "net.cidr_merge", "net.cidr_intersects", "net.cidr_overlap"];

/// Whether the body of rule `r` checks the snapshot's platform: it reads
/// `input.metadata.platform`, or calls an `applies` rule (the packs' guard).
fn guards_platform(bundle: &Bundle, r: &super::RuleMeta) -> bool {
    let Some(m) = bundle.modules.iter().find(|m| bundle.root.join(&m.path) == r.file || Path::new(&m.path) == r.file)
    else {
        return true; // nothing to judge by
    };
    let text = strip_comments(&m.text);
    let body: Vec<&str> = text
        .lines()
        .skip(r.line.saturating_sub(1))
        .enumerate()
        .take_while(|(i, l)| *i == 0 || l.is_empty() || l.starts_with(['\t', ' ', '}']))
        .map(|(_, l)| l)
        .collect();
    body.iter().any(|l| {
        l.contains("input.metadata.platform")
            || l.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
                .any(|w| w == "applies" || w.ends_with(".applies"))
    })
}

/// One problem, located.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintIssue {
    /// Module path relative to the bundle root.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
    /// What to do.
    pub help: String,
}

/// Lints a bundle. Compile errors are returned as issues too, so that every problem is seen.
pub fn lint(bundle: &Bundle) -> Result<Vec<LintIssue>> {
    let mut issues = Vec::new();
    // The platforms a rule may name in `custom.platform`: those the resource catalog knows.
    let catalog = crate::catalog::Catalog::built_in()?;
    let platforms: Vec<&str> = catalog.platform_names().collect();
    let mut builtin_problem = false;
    for m in &bundle.modules {
        if let Some((line, name, why)) = refused_builtin(&m.text) {
            builtin_problem = true;
            issues.push(issue(&m.path, line, format!("{name} is refused by driftgate"), why.to_string()));
        }
        for (n, line) in strip_comments(&m.text).lines().enumerate() {
            if let Some(b) = MISSING_BUILTINS.iter().find(|b| line.contains(*b)) {
                builtin_problem = true;
                issues.push(issue(
                    &m.path,
                    n + 1,
                    format!("{b}* is not implemented by regorus"),
                    "the call would fail at evaluation; compute the value outside the policy and pass it in data"
                        .into(),
                ));
            }
        }
    }
    let rules = match bundle.rules() {
        Ok(r) => r,
        Err(e) => {
            issues.push(issue("", 1, e.to_string(), "fix the rule definitions".into()));
            return Ok(issues);
        }
    };
    let mut ids: BTreeMap<&str, &super::RuleMeta> = BTreeMap::new();
    for r in &rules {
        let file = r.file.display().to_string();
        let at = |message: String, help: &str| issue(&file, r.line, message, help.to_string());
        if !r.has_metadata {
            issues.push(at(
                format!("rule {} has no METADATA", r.rule),
                "add a # METADATA block with title and custom.id, custom.controls, custom.severity above the rule",
            ));
            continue;
        }
        if !r.has_id {
            issues.push(at(
                format!("rule {} has no custom.id", r.rule),
                "give it a stable id such as GC-CC6.1-09; reports and waivers refer to it",
            ));
        } else if let Some(other) = ids.insert(&r.id, r) {
            issues.push(at(
                format!(
                    "custom.id {} is also used by {} ({}:{})",
                    r.id,
                    other.path(),
                    other.file.display(),
                    other.line
                ),
                "rule ids must be unique",
            ));
        }
        if r.controls.is_empty() {
            issues.push(at(
                format!("rule {} maps to no control (custom.controls)", r.id),
                "list the SOC 2 criteria it evidences, e.g. [CC6.1]",
            ));
        }
        for c in r.controls.iter().filter(|c| !bundle.controls.contains(c)) {
            issues.push(at(
                format!("rule {} names control {c}, which is not in the control catalog", r.id),
                "use a criterion id from controls.json",
            ));
        }
        if let Some(s) = &r.unknown_severity {
            issues.push(at(
                format!("rule {} has unknown severity {s:?}", r.id),
                "use critical, high, medium, low or info",
            ));
        } else if !r.has_severity {
            issues.push(at(format!("rule {} has no custom.severity", r.id), "use critical, high, medium, low or info"));
        }
        if r.title.is_none() {
            issues.push(at(format!("rule {} has no title", r.id), "reports and the control matrix show it"));
        }
        if !r.platforms.is_empty() && !guards_platform(bundle, r) {
            issues.push(at(
                format!("rule {} is for {} but does not check input.metadata.platform", r.id, r.platforms.join(", ")),
                "start its body with the pack's guard (lib.applies): evaluated as a whole bundle, as `opa eval` does, \
                 the rule would also run on other platforms' snapshots",
            ));
        }
        for p in r.platforms.iter().filter(|p| !platforms.contains(&p.as_str())) {
            issues.push(at(
                format!("rule {} is for platform {p:?}, which driftgate does not know", r.id),
                &format!(
                    "custom.platform is one of {} (a misspelt platform would silently never run)",
                    platforms.join(", ")
                ),
            ));
        }
    }
    if !builtin_problem {
        probe(bundle, &mut issues)?;
    }
    issues.sort_by(|a, b| (&a.file, a.line, &a.message).cmp(&(&b.file, b.line, &b.message)));
    issues.dedup();
    Ok(issues)
}

/// Compiles everything and evaluates each rule once on an empty input, to surface compile
/// errors and builtins the engine lacks (both reported with their location).
fn probe(bundle: &Bundle, issues: &mut Vec<LintIssue>) -> Result<()> {
    let compiled = match CompiledPolicies::compile(bundle, &[], true, Duration::from_secs(10)) {
        Ok(c) => c,
        Err(crate::Error::Policy { path, message, span, src, .. }) => {
            let text = miette::SourceCode::read_span(&src, &span, 0, 0).ok();
            let line = text.map_or(1, |t| t.line() + 1);
            let file = path.strip_prefix(&bundle.root).unwrap_or(&path).display().to_string();
            issues.push(issue(
                &file,
                line,
                format!("does not compile: {message}"),
                "fix the Rego syntax (Rego v1)".into(),
            ));
            return Ok(());
        }
        Err(e) => return Err(e),
    };
    let mut engine = compiled.engine();
    engine.set_input(regorus::Value::new_object());
    for r in compiled.rules() {
        if let Err(e) = engine.eval_rule(r.path()) {
            let msg = e.to_string();
            if msg.contains("could not find function") {
                let what = msg.lines().last().unwrap_or("").trim().trim_start_matches("error: ").to_string();
                issues.push(issue(
                    &r.file.display().to_string(),
                    r.line,
                    format!("rule {}: {what}", r.id),
                    "regorus does not implement this builtin".into(),
                ));
            }
        }
    }
    Ok(())
}

fn issue(file: &str, line: usize, message: String, help: String) -> LintIssue {
    LintIssue { file: file.to_string(), line, message, help }
}
