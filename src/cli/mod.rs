//! Command-line parsing and wiring. Nothing here computes what another entry point would
//! need: each subcommand turns its arguments into library options, calls the library, and
//! prints or writes what it got back.

mod audit;
mod check;
mod collect;
mod evidence;
mod forensics;
mod policy;
mod report;
mod snapshot_cmds;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// driftgate: policy-as-code drift validation and SOC 2 evidence for contact-center platforms.
#[derive(Debug, Parser)]
#[command(name = "driftgate", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Gate a snapshot: normalize, schema gate, diff against the baseline, evaluate policies, report.
    ///
    /// Exit codes: 0 clean, 1 the gate failed, 2 the check could not be done.
    Check(check::CheckArgs),
    /// Collect a configuration snapshot from the platform's API (complete, or exit 2).
    Collect(collect::CollectArgs),
    /// The daily job: check, write a signed evidence package, store it, verify the chain.
    ///
    /// Exit codes: 0 clean, 1 the gate failed (evidence is still written), 2 the job could not be done.
    Run(evidence::RunArgs),
    /// Evidence keys and verification.
    #[command(subcommand)]
    Evidence(evidence::EvidenceCommand),
    /// Continuous audit-log collection: pull the delta, show the status.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Incident forensics: collect a sealed package with a chain of custody; decrypt it.
    #[command(subcommand)]
    Forensics(forensics::ForensicsCommand),
    /// Manage approved baselines.
    #[command(subcommand)]
    Baseline(snapshot_cmds::BaselineCommand),
    /// Show the differences between two snapshots (exit 1 when they differ).
    Diff(snapshot_cmds::DiffArgs),
    /// Policy author's tools: test, lint, doc.
    #[command(subcommand)]
    Policy(policy::PolicyCommand),
    /// Render a report.json in other formats.
    #[command(subcommand)]
    Report(report::ReportCommand),
    /// Print a snapshot normalized (canonical, sorted, volatile fields removed, secrets redacted).
    Normalize(snapshot_cmds::NormalizeArgs),
}

/// Parses the command line, runs it, and returns the process exit code.
/// `--platform`: a platform name (clap lists the parse error).
pub fn platform_arg(s: &str) -> std::result::Result<driftgate::platform::Platform, String> {
    driftgate::platform::Platform::from_name(s)
        .map_err(|_| format!("platforms: {}", driftgate::platform::Platform::names().join(", ")))
}

/// `--platform` of `audit pull` and `forensics collect`: a platform with an audit query API.
pub fn audit_platform_arg(s: &str) -> std::result::Result<driftgate::platform::Platform, String> {
    match platform_arg(s)? {
        p if p.has_audit_api() => Ok(p),
        p => Err(format!("{p} has no audit query API")),
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(a) => check::run(a),
        Command::Collect(a) => collect::run(a),
        Command::Run(a) => evidence::run_cmd(a),
        Command::Evidence(c) => evidence::evidence(c),
        Command::Audit(c) => audit::run(c),
        Command::Forensics(c) => forensics::run(c),
        Command::Baseline(c) => snapshot_cmds::baseline(c),
        Command::Diff(a) => snapshot_cmds::diff(a),
        Command::Normalize(a) => snapshot_cmds::normalize(a),
        Command::Policy(c) => policy::run(c),
        Command::Report(c) => report::run(c),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("{:?}", miette::Report::new(e));
            ExitCode::from(2)
        }
    }
}

/// Says on stderr which alerts could not be delivered (they never change the exit code).
pub(crate) fn report_alert_failures(outcomes: &[driftgate::report::AlertOutcome]) {
    for o in outcomes.iter().filter(|o| o.status == "failed") {
        eprintln!(
            "driftgate: alert to {} ({}) failed after {} attempt(s): {}",
            o.sink,
            o.target,
            o.attempts,
            o.error.as_deref().unwrap_or("unknown error")
        );
    }
}

/// Prints to stdout, treating a closed pipe (`| head`) as success rather than a panic.
pub(crate) fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|_| out.flush());
}
