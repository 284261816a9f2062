//! `driftgate report render`.

use clap::{Args, Subcommand};
use driftgate::report::{formats, renderer, Report, REPORT_FORMAT};
use driftgate::{Error, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Render a report.json in other formats.
    Render(RenderArgs),
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// A driftgate.report/v1 document.
    report: PathBuf,
    /// Output format (repeatable).
    #[arg(long, value_name = "FORMAT", required = true, value_parser = clap::builder::PossibleValuesParser::new(formats()))]
    format: Vec<String>,
    /// Write each format's file into this directory instead of stdout.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
}

pub fn run(c: ReportCommand) -> Result<ExitCode> {
    let ReportCommand::Render(a) = c;
    let text = driftgate::input::read_text(&a.report)?;
    let probe: serde_json::Value = driftgate::input::parse_json(&a.report, &text, "a JSON document")?;
    if probe.get("format").and_then(|f| f.as_str()) != Some(REPORT_FORMAT) {
        return Err(Error::Invalid {
            path: a.report.clone(),
            message: format!("not a {REPORT_FORMAT} document"),
            help: Some("render the report.json that `driftgate check --out DIR` or `driftgate run` wrote".into()),
        });
    }
    let report: Report = driftgate::input::parse_json(&a.report, &text, "a driftgate report")?;
    let renderers: Vec<_> = a.format.iter().filter_map(|f| renderer(f)).collect();
    match &a.out {
        Some(dir) => {
            let files: Vec<(String, Vec<u8>)> =
                renderers.iter().map(|r| (r.file_name().to_string(), r.render(&report).into_bytes())).collect();
            driftgate::fsutil::write_all_or_nothing(dir, &files)?;
        }
        None => renderers.iter().for_each(|r| super::print(&r.render(&report))),
    }
    Ok(ExitCode::SUCCESS)
}
