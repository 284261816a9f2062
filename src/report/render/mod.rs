//! Output formats. Each is one file implementing [`Render`] and one line in [`RENDERERS`].

mod csv;
mod github;
mod html;
mod json;
mod junit;
mod markdown;
mod safe_text;
mod sarif;
mod text;

pub use safe_text::{neutralize, spreadsheet_cell};

use super::{ControlStatus, Finding, Report};
use crate::policy::{Level, WaiverStatus};
use serde_json::Value;

/// A report format.
pub trait Render {
    /// The `--format` name.
    fn name(&self) -> &'static str;
    /// File name under `--out DIR`.
    fn file_name(&self) -> &'static str;
    /// Renders the whole report.
    fn render(&self, report: &Report) -> String;
}

/// Every renderer, one line each: the registry the format names come from.
pub const RENDERERS: &[&(dyn Render + Sync)] = &[
    &json::Json,
    &text::Text,
    &markdown::Markdown,
    &html::Html,
    &sarif::Sarif,
    &junit::Junit,
    &github::Github,
    &csv::Csv,
];

/// The format names `--format` accepts, in registry order.
pub fn formats() -> Vec<&'static str> {
    RENDERERS.iter().map(|r| r.name()).collect()
}

/// The renderer for a format name.
pub fn renderer(name: &str) -> Option<&'static dyn Render> {
    RENDERERS.iter().find(|r| r.name() == name).map(|r| *r as &dyn Render)
}

/// What the audit archive says about who made a drift record's change, in one line; `None`
/// when no archive was read.
pub fn attribution_text(c: &crate::diff::Change) -> Option<String> {
    if c.attribution.as_deref() == Some("not_covered") {
        return Some("attribution: the audit archive does not cover the window, so nothing is claimed".into());
    }
    if c.unattributed == Some(true) {
        return Some(
            "unattributed: no audit event on this resource in a fully covered window (an out-of-band change or a hole in the audit trail)"
                .into(),
        );
    }
    let list = c.changed_by.as_ref()?;
    let e = list.first()?;
    let who = match (&e.user.name, &e.user.id) {
        (Some(n), _) => n.clone(),
        (None, Some(id)) => format!("user {id}"),
        (None, None) => match &e.client_id {
            Some(c) => format!("OAuth client {c} (no user)"),
            None => "an unknown principal".into(),
        },
    };
    let via = match (&e.user.name, &e.user.id, &e.client_id) {
        (None, None, _) | (_, _, None) => String::new(),
        (.., Some(c)) => format!(" via client {c}"),
    };
    let more = match list.len() {
        1 => String::new(),
        n => format!(" and {} earlier event(s)", n - 1),
    };
    Some(format!("changed by {who}{via} at {} (event {}){more}", e.at, e.event_id))
}

/// The report's attribution summary in one line: which archive, what window, the outcome.
pub fn attribution_summary(r: &Report) -> Option<String> {
    let a = r.attribution.as_ref()?;
    let trust = if a.key_pinned { "pinned key" } else { "store's key, not pinned" };
    let mut line = format!(
        "{} ({} batch(es), {trust}), window {} → {} (from the baseline's {}): {} attributed, {} unattributed, {} not covered",
        a.source,
        a.batches,
        a.from,
        a.to,
        if a.from_source == "baseline_commit" { "commit" } else { "collected_at" },
        a.attributed,
        a.unattributed,
        a.not_covered_records
    );
    for [f, t] in &a.not_covered {
        line.push_str(&format!("; NOT COVERED {f} → {t}"));
    }
    for p in &a.problems {
        line.push_str(&format!("; BATCH NOT USED {} sequence {}: {}", p.code, p.sequence, p.detail));
    }
    Some(line)
}

/// The attribution of the drift a finding is about (same resource, and same path when both
/// have one), for formats that carry findings only (SARIF, JUnit, CSV, GitHub).
pub fn finding_attribution(r: &Report, f: &Finding) -> Option<String> {
    r.attribution.as_ref()?;
    let res = f.resource.as_ref()?;
    let same = |d: &&crate::diff::Change| d.resource_type == res.resource_type && d.resource_id == res.id;
    let exact = r.drift.iter().filter(same).find(|d| f.path.as_deref().is_some_and(|p| p == d.path));
    exact.or_else(|| r.drift.iter().find(same)).and_then(attribution_text)
}

/// A finding's message with the attribution of its drift appended (when there is one).
pub fn message_with_attribution(r: &Report, f: &Finding) -> String {
    match finding_attribution(r, f) {
        Some(a) => format!("{} ({a})", f.msg),
        None => f.msg.clone(),
    }
}

/// The word for a control status.
pub(crate) fn status_word(s: ControlStatus) -> &'static str {
    match s {
        ControlStatus::Pass => "PASS",
        ControlStatus::Fail => "FAIL",
        ControlStatus::Inconclusive => "INCONCLUSIVE",
        ControlStatus::NotTested => "NOT_TESTED",
        ControlStatus::Waived => "WAIVED",
    }
}

/// How a finding stands: `violation`, `waived` (covered by an active waiver) or `warning`.
pub(crate) fn finding_state(f: &Finding) -> &'static str {
    match (f.level, f.waiver.as_ref().map(|w| w.status)) {
        (Level::Violation, Some(WaiverStatus::Active)) => "waived",
        (Level::Violation, _) => "violation",
        (Level::Warning, _) => "warning",
    }
}

/// `type/id "name"` for a finding's resource.
pub(crate) fn resource_label(f: &Finding) -> String {
    match &f.resource {
        Some(r) => match &r.name {
            Some(n) => format!("{}/{} \"{n}\"", r.resource_type, r.id),
            None => format!("{}/{}", r.resource_type, r.id),
        },
        None => "-".to_string(),
    }
}

/// A value as compact canonical JSON, cut at `max` characters.
pub(crate) fn short_json(v: &Option<Value>, max: usize) -> String {
    match v {
        None => "-".to_string(),
        Some(v) => {
            let s = String::from_utf8(crate::canonical::to_vec(v)).unwrap_or_default();
            if s.chars().count() > max {
                format!("{}…", s.chars().take(max).collect::<String>())
            } else {
                s
            }
        }
    }
}

/// The findings that count against each control, by control id, in report order.
pub(crate) fn findings_by_control(r: &Report) -> std::collections::BTreeMap<&str, Vec<&Finding>> {
    let mut m: std::collections::BTreeMap<&str, Vec<&Finding>> = std::collections::BTreeMap::new();
    for f in &r.findings {
        for c in &f.controls {
            m.entry(c.as_str()).or_default().push(f);
        }
    }
    m
}
