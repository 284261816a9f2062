//! `insta` snapshots of the rendered reports of the bundled example.

mod support;

use driftgate::baseline::BaselineSource;
use driftgate::check::{run_check, BaselineChoice, CheckOptions};
use driftgate::report::renderer;
use support::*;
use time::macros::datetime;

fn example_report() -> driftgate::report::Report {
    let mut opts = CheckOptions::new(root().join(DRIFTED));
    opts.policies = root().join("policies");
    opts.baseline = BaselineChoice::Given(BaselineSource::Path(root().join("baselines/acme-corp.json")));
    opts.as_of = Some(datetime!(2026-11-22 09:00 UTC));
    let mut report = run_check(&opts).unwrap().report;
    // Paths and git state depend on the checkout, not on the check.
    report.baseline.as_mut().unwrap().source = "baselines/acme-corp.json".into();
    report.baseline.as_mut().unwrap().git = None;
    report
}

fn filters() -> Vec<(&'static str, &'static str)> {
    vec![
        (r"run-\d{8}T\d{6}Z-[0-9a-f]{8}", "[run-id]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \.\. \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[started] .. [finished]"),
        (r"driftgate \d+\.\d+\.\d+", "driftgate [version]"),
        (r#""(startTimeUtc|endTimeUtc)": "[^"]+""#, r#""$1": "[time]""#),
        (r#""version": "\d+\.\d+\.\d+""#, r#""version": "[version]""#),
        (r"\| \d+\.\d+\.\d+ \|", "| [version] |"),
        (r"\(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \.\. \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)", "([started] .. [finished])"),
    ]
}

macro_rules! format_snapshot {
    ($name:ident, $format:literal) => {
        #[test]
        fn $name() {
            let rendered = renderer($format).unwrap().render(&example_report());
            insta::with_settings!({filters => filters()}, {
                insta::assert_snapshot!(rendered);
            });
        }
    };
}

format_snapshot!(markdown_report, "markdown");
format_snapshot!(html_report, "html");
format_snapshot!(sarif_report, "sarif");
format_snapshot!(junit_report, "junit");
format_snapshot!(github_report, "github");
format_snapshot!(csv_report, "csv");

#[test]
fn text_report() {
    let r = example_report();
    let text = renderer("text").unwrap().render(&r);
    insta::with_settings!({filters => vec![
        (r"run-\d{8}T\d{6}Z-[0-9a-f]{8}", "[run-id]"),
        (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \.\. \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", "[started] .. [finished]"),
        (r"driftgate \d+\.\d+\.\d+", "driftgate [version]"),
    ]}, {
        insta::assert_snapshot!(text);
    });
}

#[test]
fn json_report() {
    let r = example_report();
    let value: serde_json::Value = serde_json::from_str(&renderer("json").unwrap().render(&r)).unwrap();
    insta::assert_json_snapshot!(value, {
        ".run.id" => "[run-id]",
        ".run.started_at" => "[started]",
        ".run.finished_at" => "[finished]",
        ".tool.version" => "[version]",
    });
}
