//! `driftgate policy test|lint|doc`.

use clap::{Args, Subcommand};
use driftgate::policy::signing::{Signing, Verification};
use driftgate::policy::testing::{run_tests, TestStatus, Threshold};
use driftgate::policy::{doc, lint, Bundle, DEFAULT_TIMEOUT};
use driftgate::{Error, Result};
use miette::{Diagnostic, NamedSource, SourceSpan};
use std::fmt::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// Run the bundle's test_* rules (todo_* are skipped), like `opa test`. Exit 1 on a failure or below --threshold.
    Test(TestArgs),
    /// Check METADATA (ids, controls, severities) and builtins. Exit 1 when there are problems.
    Lint(LintArgs),
    /// Write a Markdown control matrix (criterion -> rules -> what they check) from the METADATA.
    Doc(DocArgs),
    /// Write the bundle as an OPA bundle tarball (.manifest with revision and roots, the
    /// modules, and the data document), which --policies and `opa` both load.
    Build(BuildArgs),
}

/// How a signed OPA bundle tarball (`.signatures.json`) is verified, as OPA's
/// `--verification-key`, `--signing-alg` and `--scope` do.
#[derive(Debug, Clone, Args)]
pub struct BundleKeyArgs {
    /// Verify the bundle tarball's .signatures.json with this key (PEM public key or
    /// certificate; for HS256 a file holding the secret). A signed bundle needs it.
    #[arg(long, value_name = "FILE")]
    bundle_public_key: Option<PathBuf>,
    /// The JWS algorithm the bundle is signed with.
    #[arg(long, value_name = "ALG", default_value = driftgate::policy::signing::DEFAULT_ALGORITHM, requires = "bundle_public_key")]
    bundle_signing_alg: String,
    /// The scope the signature must carry.
    #[arg(long, value_name = "SCOPE", requires = "bundle_public_key")]
    bundle_scope: Option<String>,
}

impl BundleKeyArgs {
    /// The verification to apply, if a key was given.
    pub fn verification(&self) -> Result<Option<Verification>> {
        let Some(key) = &self.bundle_public_key else {
            return Ok(None);
        };
        Verification::read(key, &self.bundle_signing_alg, self.bundle_scope.as_deref()).map(Some).map_err(|message| {
            Error::Usage { message, help: Some("--bundle-public-key takes the signer's public key in PEM".into()) }
        })
    }
}

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Policy bundle directory.
    #[arg(default_value = "policies")]
    dir: PathBuf,
    /// The tarball to write (.tar.gz).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: PathBuf,
    /// The bundle's revision (recorded in reports and evidence manifests), e.g. a commit.
    #[arg(long, value_name = "REVISION")]
    revision: Option<String>,
    /// Sign the bundle with this private key (PEM; for HS256 a file holding the secret),
    /// writing .signatures.json as `opa build --signing-key` does.
    #[arg(long, value_name = "FILE")]
    signing_key: Option<PathBuf>,
    /// The JWS algorithm to sign with.
    #[arg(long, value_name = "ALG", default_value = driftgate::policy::signing::DEFAULT_ALGORITHM, requires = "signing_key")]
    signing_alg: String,
    /// The key id put in the JWT header (`kid`).
    #[arg(long, value_name = "ID", requires = "signing_key")]
    signing_key_id: Option<String>,
    /// A JSON object of extra claims for the signature's payload (e.g. {"scope": "prod", "iss": "ci"}).
    #[arg(long, value_name = "FILE", requires = "signing_key")]
    claims_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct TestArgs {
    /// Policy bundle directory.
    #[arg(default_value = "policies")]
    dir: PathBuf,
    #[command(flatten)]
    key: BundleKeyArgs,
    /// Report line coverage of the non-test modules.
    #[arg(long)]
    coverage: bool,
    /// Fail unless line coverage is at least this percentage (implies --coverage).
    #[arg(long, value_name = "PCT")]
    threshold: Option<String>,
    /// Run only the tests whose full name (data.<package>.<rule>) matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    run: Option<String>,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Policy bundle directory.
    #[arg(default_value = "policies")]
    dir: PathBuf,
    #[command(flatten)]
    key: BundleKeyArgs,
}

#[derive(Debug, Args)]
pub struct DocArgs {
    /// Policy bundle directory.
    #[arg(default_value = "policies")]
    dir: PathBuf,
    #[command(flatten)]
    key: BundleKeyArgs,
    /// Write here instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
}

pub fn run(c: PolicyCommand) -> Result<ExitCode> {
    match c {
        PolicyCommand::Test(a) => test(a),
        PolicyCommand::Lint(a) => lint_cmd(a),
        PolicyCommand::Doc(a) => doc_cmd(a),
        PolicyCommand::Build(a) => build_cmd(a),
    }
}

fn build_cmd(a: BuildArgs) -> Result<ExitCode> {
    if !a.output.to_string_lossy().ends_with(".tar.gz") {
        return Err(Error::Usage {
            message: format!("{} is not a .tar.gz file name", a.output.display()),
            help: Some("OPA bundles are gzipped tarballs: name it bundle.tar.gz".into()),
        });
    }
    let signing = match &a.signing_key {
        Some(k) => Some(
            Signing::read(k, &a.signing_alg, a.signing_key_id.as_deref(), a.claims_file.as_deref())
                .map_err(|message| Error::Usage { message, help: None })?,
        ),
        None => None,
    };
    let bundle = Bundle::load(&a.dir)?;
    if !driftgate::policy::lint::lint(&bundle)?.is_empty() {
        return Err(Error::Invalid {
            path: a.dir.clone(),
            message: "the bundle has lint problems".into(),
            help: Some("run `driftgate policy lint` and fix them before building".into()),
        });
    }
    bundle.write_tarball(&a.output, a.revision.as_deref(), signing.as_ref())?;
    eprintln!(
        "driftgate: wrote {} ({} module(s){}{})",
        a.output.display(),
        bundle.modules.len(),
        a.revision.as_deref().map(|r| format!(", revision {r}")).unwrap_or_default(),
        if signing.is_some() { format!(", signed with {}", a.signing_alg) } else { String::new() }
    );
    Ok(ExitCode::SUCCESS)
}

fn test(a: TestArgs) -> Result<ExitCode> {
    let threshold = match &a.threshold {
        Some(t) => Some(Threshold::parse(t).ok_or_else(|| Error::Usage {
            message: format!("--threshold {t:?} is not a percentage"),
            help: Some("give a number from 0 to 100, such as 90 or 87.5".into()),
        })?),
        None => None,
    };
    let filter = match &a.run {
        Some(r) => Some(regex::Regex::new(r).map_err(|e| Error::Usage {
            message: format!("--run {r:?} is not a regular expression: {e}"),
            help: None,
        })?),
        None => None,
    };
    let bundle = Bundle::load_verified(&a.dir, a.key.verification()?.as_ref())?;
    let report = run_tests(&bundle, filter.as_ref(), a.coverage || threshold.is_some(), DEFAULT_TIMEOUT)?;
    let failed = report.count(TestStatus::Fail) + report.count(TestStatus::Error);
    let below = match (&report.coverage, &threshold) {
        (Some(c), Some(t)) => !c.meets(t),
        _ => false,
    };
    if a.format == "json" {
        let mut v = serde_json::to_value(&report).unwrap_or_default();
        v["threshold"] = serde_json::json!(a.threshold);
        v["passed"] = serde_json::json!(failed == 0 && !below && !report.results.is_empty());
        super::print(&(serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"));
    } else {
        super::print(&render_tests(&report, a.threshold.as_deref(), below));
    }
    if report.results.is_empty() {
        eprintln!("driftgate: no tests found in {}", a.dir.display());
        return Ok(ExitCode::from(1));
    }
    Ok(if failed > 0 || below { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn render_tests(report: &driftgate::policy::testing::TestReport, threshold: Option<&str>, below: bool) -> String {
    let mut o = String::new();
    let mut file = "";
    for r in &report.results {
        if r.file != file {
            file = &r.file;
            let _ = writeln!(o, "{file}:");
        }
        let status = match r.status {
            TestStatus::Pass => "PASS",
            TestStatus::Fail => "FAIL",
            TestStatus::Error => "ERROR",
            TestStatus::Skip => "SKIPPED",
        };
        let _ = writeln!(o, "{}: {status} ({:.1}ms)", r.name, r.micros as f64 / 1000.0);
        if let Some(m) = &r.message {
            for line in m.lines().filter(|l| !l.trim().is_empty()) {
                let _ = writeln!(o, "    {line}");
            }
        }
    }
    let _ = writeln!(o, "{}", "-".repeat(80));
    let (p, f, e, s) = (
        report.count(TestStatus::Pass),
        report.count(TestStatus::Fail),
        report.count(TestStatus::Error),
        report.count(TestStatus::Skip),
    );
    let _ = writeln!(o, "PASS: {p}/{}", p + f + e);
    if f > 0 {
        let _ = writeln!(o, "FAIL: {f}/{}", p + f + e);
    }
    if e > 0 {
        let _ = writeln!(o, "ERROR: {e}/{}", p + f + e);
    }
    if s > 0 {
        let _ = writeln!(o, "SKIPPED: {s}");
    }
    if let Some(c) = &report.coverage {
        let verdict = match threshold {
            Some(t) if below => format!("  BELOW the threshold of {t}%"),
            Some(t) => format!("  (threshold {t}%: met)"),
            None => String::new(),
        };
        let _ = writeln!(o, "Coverage: {:.2}% ({}/{} lines){verdict}", c.percent, c.covered, c.total);
        for file in c.files.iter().filter(|f| !f.not_covered.is_empty()) {
            let note = if file.evaluated { "" } else { " (no test evaluated this module)" };
            let _ = writeln!(o, "  {}: not covered {}{note}", file.path, ranges(&file.not_covered));
        }
    }
    o
}

fn ranges(lines: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let start = lines[i];
        while i + 1 < lines.len() && lines[i + 1] == lines[i] + 1 {
            i += 1;
        }
        out.push(if lines[i] == start { start.to_string() } else { format!("{start}-{}", lines[i]) });
        i += 1;
    }
    out.join(", ")
}

/// One lint problem as a diagnostic pointing at the file and line.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(driftgate::policy::lint))]
struct LintProblem {
    message: String,
    #[source_code]
    src: NamedSource<String>,
    #[label("here")]
    span: SourceSpan,
    #[help]
    help: String,
}

fn lint_cmd(a: LintArgs) -> Result<ExitCode> {
    let bundle = Bundle::load_verified(&a.dir, a.key.verification()?.as_ref())?;
    let issues = lint::lint(&bundle)?;
    for i in &issues {
        let path = bundle.root.join(&i.file);
        let text = bundle.modules.iter().find(|m| m.path == i.file).map(|m| m.text.clone()).unwrap_or_default();
        let offset: usize = text.split_inclusive('\n').take(i.line.saturating_sub(1)).map(str::len).sum();
        let width = text[offset.min(text.len())..].lines().next().map_or(0, str::len);
        let problem = LintProblem {
            message: i.message.clone(),
            src: NamedSource::new(path.display().to_string(), text),
            span: SourceSpan::new(offset.into(), width),
            help: i.help.clone(),
        };
        eprintln!("{:?}", miette::Report::new(problem));
    }
    if issues.is_empty() {
        let rules = bundle.rules()?.len();
        println!("driftgate: {} module(s), {rules} rule(s): no problems", bundle.modules.len());
        Ok(ExitCode::SUCCESS)
    } else {
        eprintln!("driftgate: {} problem(s) in {}", issues.len(), a.dir.display());
        Ok(ExitCode::from(1))
    }
}

fn doc_cmd(a: DocArgs) -> Result<ExitCode> {
    let bundle = Bundle::load_verified(&a.dir, a.key.verification()?.as_ref())?;
    let text = doc::control_matrix(&bundle)?;
    match &a.output {
        Some(p) => driftgate::fsutil::write_atomic(p, text.as_bytes())?,
        None => super::print(&text),
    }
    Ok(ExitCode::SUCCESS)
}
