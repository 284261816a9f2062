//! `driftgate check`.

use clap::Args;
use driftgate::baseline::BaselineSource;
use driftgate::check::{run_check, BaselineChoice, CheckOptions};
use driftgate::report::{formats, renderer, FailOn, GateResult};
use driftgate::Result;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The snapshot to check (driftgate.snapshot/v1 JSON).
    snapshot: PathBuf,
    /// The approved baseline: a path or git:<rev>:<path> [default: ./baselines/<tenant>.json when present].
    #[arg(long, value_name = "PATH|git:REV:PATH", conflicts_with = "no_baseline")]
    baseline: Option<String>,
    /// Do not compare with any baseline (drift is reported as not checked).
    #[arg(long)]
    no_baseline: bool,
    /// Policy bundle directory.
    #[arg(long, value_name = "DIR", default_value = "policies")]
    policies: PathBuf,
    /// Schema directory to use instead of the built-in schemas.
    #[arg(long, value_name = "DIR")]
    schemas: Option<PathBuf>,
    /// Resource catalog file adding to or replacing the built-in platforms.
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
    /// Extra JSON data merged at the root of `data` (repeatable).
    #[arg(long, value_name = "FILE")]
    data: Vec<PathBuf>,
    /// Output format (repeatable) [default: text].
    #[arg(long, value_name = "FORMAT", value_parser = clap::builder::PossibleValuesParser::new(formats()))]
    format: Vec<String>,
    /// Write report.json and each format's file into this directory.
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Also fail the gate on these (repeatable; violations always fail it).
    #[arg(long, value_name = "CONDITION", value_parser = ["violation", "warn", "drift", "quarantine"])]
    fail_on: Vec<String>,
    /// Send an alert when the check finds violations, drift or quarantine (repeatable):
    /// webhook=URL, slack=URL or splunk=URL (HEC token in DRIFTGATE_SPLUNK_TOKEN).
    #[arg(long, value_name = "KIND=URL")]
    alert: Vec<String>,
    /// JSON object of extra keys for data.driftgate.run (e.g. {"audit": {"checkpoint": "..."}}).
    #[arg(long, value_name = "FILE")]
    run_context: Option<PathBuf>,
    /// Seconds one rule may evaluate before the check fails (fail-closed).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    policy_timeout: u64,
    /// Print how long each stage took (stderr).
    #[arg(long)]
    timings: bool,
    /// Write exactly what the policies saw: DIR/input.json and DIR/data.json (the bundle's
    /// data, the --data files and data.driftgate), to evaluate the same bundle elsewhere
    /// (`opa eval`).
    #[arg(long, value_name = "DIR")]
    dump_input: Option<PathBuf>,
    /// Attribute each drift record to the audit events archived in this evidence store's
    /// `<tenant>.audit/` stream (a directory or s3://bucket/prefix): `changed_by`,
    /// `unattributed`, or `attribution: not_covered`.
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    audit_store: Option<String>,
    /// The key the audit batches must be signed with (default: the audit store's driftgate.pub).
    #[arg(long, value_name = "FILE", requires = "audit_store")]
    audit_public_key: Option<PathBuf>,
    #[command(flatten)]
    s3: super::evidence::S3Flags,
    #[command(flatten)]
    bundle_key: super::policy::BundleKeyArgs,
}

pub fn run(a: CheckArgs) -> Result<ExitCode> {
    let started = std::time::Instant::now();
    let baseline = match (&a.baseline, a.no_baseline) {
        (_, true) => BaselineChoice::Skip,
        (Some(b), _) => BaselineChoice::Given(BaselineSource::parse(b)?),
        (None, false) => BaselineChoice::Auto(PathBuf::from("baselines")),
    };
    let opts = CheckOptions {
        snapshot: a.snapshot,
        baseline,
        policies: a.policies,
        bundle_verification: a.bundle_key.verification()?,
        schemas: a.schemas,
        catalog: a.catalog,
        data: a.data,
        fail_on: a.fail_on.iter().filter_map(|f| FailOn::parse(f)).collect(),
        policy_timeout: Duration::from_secs(a.policy_timeout.max(1)),
        run_context: match &a.run_context {
            Some(p) => driftgate::input::read_json(p, "a JSON object")?,
            None => serde_json::Map::new(),
        },
        as_of: None,
        collected: None,
        keep_raw: false,
        keep_policy_input: a.dump_input.is_some(),
        audit_store: a.audit_store.clone(),
        audit_s3: a.s3.overrides(),
        audit_public_key: match &a.audit_public_key {
            Some(p) => {
                Some(driftgate::evidence::PublicKey::parse(&driftgate::input::read_text(p)?, &p.display().to_string())?)
            }
            None => None,
        },
    };
    if let Some(dir) = a.audit_store.as_deref().filter(|s| !s.starts_with("s3://")) {
        if !PathBuf::from(dir).is_dir() {
            return Err(driftgate::Error::Usage {
                message: format!("--audit-store {dir} is not a directory"),
                help: Some("give the evidence store whose <tenant>.audit/ stream holds the audit batches".into()),
            });
        }
    }
    let alerts = a.alert.iter().map(|s| driftgate::alert::AlertConfig::parse_flag(s)).collect::<Result<Vec<_>>>()?;
    let mut run = run_check(&opts)?;
    if let (Some(dir), Some(p)) = (&a.dump_input, &run.policy_input) {
        let pretty = |v: &serde_json::Value| driftgate::canonical::to_pretty(v).into_bytes();
        let files = [("input.json".to_string(), pretty(&p.input)), ("data.json".to_string(), pretty(&p.data))];
        driftgate::fsutil::write_all_or_nothing(dir, &files)?;
    }
    let rendering = std::time::Instant::now();
    run.report.alerts = driftgate::alert::send_alerts(&run.report, &alerts);
    super::report_alert_failures(&run.report.alerts);
    let report = &run.report;
    let mut formats = if a.format.is_empty() { vec!["text".to_string()] } else { a.format };
    formats.dedup();
    match &a.out {
        None => {
            for f in &formats {
                if let Some(r) = renderer(f) {
                    super::print(&r.render(report));
                }
            }
        }
        Some(dir) => {
            let mut names: Vec<&str> = vec!["json"];
            names.extend(formats.iter().map(String::as_str).filter(|f| *f != "json"));
            let rendered: Vec<(String, Vec<u8>)> = names
                .iter()
                .filter_map(|f| renderer(f))
                .map(|r| (r.file_name().to_string(), r.render(report).into_bytes()))
                .collect();
            driftgate::fsutil::write_all_or_nothing(dir, &rendered)?;
            if formats.iter().any(|f| f == "text") {
                if let Some(r) = renderer("text") {
                    super::print(&r.render(report));
                }
            }
            eprintln!("driftgate: wrote {} file(s) to {}", rendered.len(), dir.display());
        }
    }
    // In a GitHub Actions job, the Markdown report goes to the job's summary page too.
    if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty()) {
        if let Some(md) = renderer("markdown") {
            use std::io::Write as _;
            let path = PathBuf::from(summary);
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(|source| driftgate::Error::Write { path: path.clone(), source })?;
            f.write_all(md.render(report).as_bytes()).map_err(|source| driftgate::Error::Write { path, source })?;
        }
    }
    if a.timings {
        let mut stages = run.timings.clone();
        stages.push(("render+write", rendering.elapsed()));
        // Compiling, the baseline and normalization overlap: the total is the wall time, not
        // the sum of the stages.
        let total = started.elapsed();
        for (stage, d) in stages {
            eprintln!("driftgate: timing {stage:<26} {:>9.1} ms", d.as_secs_f64() * 1000.0);
        }
        eprintln!("driftgate: timing {:<26} {:>9.1} ms", "total (after process start)", total.as_secs_f64() * 1000.0);
        match run.baseline_comparison {
            Some(driftgate::baseline::Comparison::ByBytes { items, parsed }) => eprintln!(
                "driftgate: baseline compared byte for byte: {} of {items} item(s) identical, {parsed} parsed and diffed",
                items - parsed
            ),
            Some(driftgate::baseline::Comparison::Whole { items }) => eprintln!(
                "driftgate: baseline parsed and normalized whole ({items} item(s)): it is not in the order `baseline update` writes, or an identity is missing or repeated"
            ),
            None => {}
        }
    }
    let code = match report.gate.result {
        GateResult::Pass => ExitCode::SUCCESS,
        GateResult::Fail => ExitCode::from(1),
    };
    // The process ends here: freeing the snapshots item by item would only delay the exit.
    std::mem::forget(run);
    Ok(code)
}
