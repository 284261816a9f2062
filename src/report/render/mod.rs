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
