//! Output formats. Each is one file implementing [`Render`] and one line in [`renderer`].

mod json;
mod text;

use super::Report;

/// A report format.
pub trait Render {
    /// The `--format` name.
    fn name(&self) -> &'static str;
    /// File name under `--out DIR`.
    fn file_name(&self) -> &'static str;
    /// Renders the whole report.
    fn render(&self, report: &Report) -> String;
}

/// The format names `--format` accepts.
pub const FORMATS: &[&str] = &["json", "text"];

/// The renderer for a format name.
pub fn renderer(name: &str) -> Option<Box<dyn Render>> {
    match name {
        "json" => Some(Box::new(json::Json)),
        "text" => Some(Box::new(text::Text)),
        _ => None,
    }
}
