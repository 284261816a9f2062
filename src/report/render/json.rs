//! `json`: the report itself, pretty-printed. Field order is fixed by the model and maps
//! are sorted, so the same check gives the same bytes (run id and times aside).

use super::Render;
use crate::report::Report;

/// The JSON renderer.
pub struct Json;

impl Render for Json {
    fn name(&self) -> &'static str {
        "json"
    }

    fn file_name(&self) -> &'static str {
        "report.json"
    }

    fn render(&self, report: &Report) -> String {
        let mut s = serde_json::to_string_pretty(report).unwrap_or_default();
        s.push('\n');
        s
    }
}
