//! `driftgate run`, `driftgate evidence keygen`, `driftgate evidence verify`.

use clap::{Args, Subcommand};
use driftgate::config::Config;
use driftgate::evidence::{verify_store, PublicKey, Signer25519, VerifyOptions};
use driftgate::jobs::daily::{exit_code, run, RunOverrides};
use driftgate::jobs::{open_store_url, S3Overrides, StoreFlags};
use driftgate::{Error, Result};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Configuration file (TOML): tenants, store, signing key source, check settings.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Check this snapshot instead of collecting (its tenant comes from the snapshot).
    #[arg(long, value_name = "FILE")]
    snapshot: Option<PathBuf>,
    /// Evidence store: a local directory or s3://bucket/prefix (overrides the config's store).
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    store: Option<String>,
    #[command(flatten)]
    s3: S3Flags,
    /// Policy bundle directory.
    #[arg(long, value_name = "DIR")]
    policies: Option<PathBuf>,
    /// Baseline path or git:<rev>:<path>.
    #[arg(long, value_name = "PATH")]
    baseline: Option<String>,
    /// Private signing key file (or set DRIFTGATE_SIGNING_KEY, or signing.key_file).
    #[arg(long, value_name = "FILE")]
    signing_key: Option<PathBuf>,
    /// Only this tenant of the config.
    #[arg(long, value_name = "NAME")]
    tenant: Option<String>,
    /// Days to retain the objects.
    #[arg(long, value_name = "DAYS")]
    retention_days: Option<u32>,
    /// Also alert this sink (repeatable): webhook=URL, slack=URL or splunk=URL.
    #[arg(long, value_name = "KIND=URL")]
    alert: Vec<String>,
    /// Append the new signed chain head to this witness file, outside the store (repeatable;
    /// JSON Lines, fsynced). `evidence verify --witness FILE` checks the store against it.
    #[arg(long, value_name = "FILE")]
    witness: Vec<PathBuf>,
    /// Attribute the drift from this evidence store's `<tenant>.audit/` stream instead of the
    /// run's own store's (a directory or s3://bucket/prefix).
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    audit_store: Option<String>,
    /// The key the --audit-store batches must be signed with (default: that store's driftgate.pub).
    #[arg(long, value_name = "FILE", requires = "audit_store")]
    audit_public_key: Option<PathBuf>,
    #[command(flatten)]
    bundle_key: super::policy::BundleKeyArgs,
}

/// S3 settings for `--store s3://...` (credentials come from the AWS SDK's usual sources).
#[derive(Debug, Args)]
pub struct S3Flags {
    /// S3 endpoint URL, for S3-compatible services (default: the SDK's, e.g. AWS_ENDPOINT_URL).
    #[arg(long, value_name = "URL")]
    s3_endpoint_url: Option<String>,
    /// S3 region (default: the SDK's, e.g. AWS_REGION).
    #[arg(long, value_name = "REGION")]
    s3_region: Option<String>,
    /// Use path-style S3 addressing.
    #[arg(long)]
    s3_path_style: bool,
    /// Object Lock mode for new objects.
    #[arg(long, value_name = "MODE", value_parser = ["COMPLIANCE", "GOVERNANCE"])]
    s3_lock_mode: Option<String>,
    /// Put a legal hold on every new object.
    #[arg(long)]
    s3_legal_hold: bool,
    /// SSE-KMS key id or ARN for new objects.
    #[arg(long, value_name = "KEY")]
    s3_kms_key_id: Option<String>,
}

impl S3Flags {
    pub fn overrides(&self) -> S3Overrides {
        S3Overrides {
            endpoint_url: self.s3_endpoint_url.clone(),
            region: self.s3_region.clone(),
            path_style: self.s3_path_style,
            lock_mode: self.s3_lock_mode.clone(),
            legal_hold: self.s3_legal_hold,
            kms_key_id: self.s3_kms_key_id.clone(),
        }
    }
}

// Parsed once per process: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum EvidenceCommand {
    /// Write a new Ed25519 key pair: DIR/driftgate.key (private, mode 0600) and DIR/driftgate.pub.
    Keygen(KeygenArgs),
    /// Verify a store: hashes, chains, signatures, gaps, forks, missing or extra files, missing days.
    Verify(VerifyArgs),
    /// The Type II report over an audit period, from the verified chain: per criterion × day,
    /// exceptions, waivers, changes and audit-log coverage (json, html, csv, markdown, oscal).
    ///
    /// Exit codes: 0 reported, 1 the evidence did not verify (the report says so first), 2 could not be done.
    Report(ReportArgs),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The store: a directory or s3://bucket/prefix.
    store: String,
    #[command(flatten)]
    s3: S3Flags,
    /// The tenant.
    #[arg(long, value_name = "NAME")]
    tenant: String,
    /// First day of the period (UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    from: String,
    /// Last day of the period (UTC, inclusive).
    #[arg(long, value_name = "YYYY-MM-DD")]
    to: String,
    /// Output format (repeatable) [default: markdown on stdout, or json and html with --out].
    #[arg(long, value_name = "FORMAT", value_parser = clap::builder::PossibleValuesParser::new(driftgate::period::render::FORMATS))]
    format: Vec<String>,
    /// Write each format's file into this directory (all or nothing).
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// The key the packages must be signed with (pinned; default: the store's driftgate.pub).
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// Directory for the key files (created if needed; existing key files are never replaced).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The store: a directory or s3://bucket/prefix.
    store: String,
    #[command(flatten)]
    s3: S3Flags,
    /// Only this tenant.
    #[arg(long, value_name = "NAME")]
    tenant: Option<String>,
    /// First day that must have a run (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", requires = "to")]
    from: Option<String>,
    /// Last day that must have a run (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", requires = "from")]
    to: Option<String>,
    /// The public key to trust (default: driftgate.pub in the store, which an attacker who
    /// can write the store could replace: auditors should pass their own copy).
    #[arg(long, value_name = "FILE", conflicts_with = "key_fingerprint")]
    public_key: Option<PathBuf>,
    /// The fingerprint the store's driftgate.pub must have (SHA256:<hex>, as `evidence
    /// keygen` prints it), for an auditor who received only the fingerprint out of band.
    #[arg(long, value_name = "SHA256:HEX")]
    key_fingerprint: Option<String>,
    /// A witness file (JSON Lines of signed chain heads, written by `run --witness`): every
    /// head it recorded must be in the store as recorded.
    #[arg(long, value_name = "FILE")]
    witness: Option<PathBuf>,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
}

pub fn run_cmd(a: RunArgs) -> Result<ExitCode> {
    let config = match &a.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let overrides = RunOverrides {
        snapshot: a.snapshot,
        store: StoreFlags { store: a.store, s3: a.s3.overrides(), signing_key: a.signing_key },
        policies: a.policies,
        bundle_verification: a.bundle_key.verification()?,
        baseline: a.baseline,
        tenant: a.tenant,
        retention_days: a.retention_days,
        alerts: a.alert.iter().map(|s| driftgate::alert::AlertConfig::parse_flag(s)).collect::<Result<Vec<_>>>()?,
        witness: a.witness,
        audit_store: a.audit_store,
        audit_public_key: match &a.audit_public_key {
            Some(p) => Some(PublicKey::parse(&driftgate::input::read_text(p)?, &p.display().to_string())?),
            None => None,
        },
    };
    if let Some(dir) = overrides.audit_store.as_deref().filter(|s| !s.starts_with("s3://")) {
        if !PathBuf::from(dir).is_dir() {
            return Err(Error::Usage {
                message: format!("--audit-store {dir} is not a directory"),
                help: Some("give the evidence store whose <tenant>.audit/ stream holds the audit batches".into()),
            });
        }
    }
    let runs = run(&config, &overrides)?;
    for r in &runs {
        if let Some(t) = &r.text {
            super::print(t);
        }
        let w = &r.written;
        let rolled = if w.rolled_forward.is_empty() {
            String::new()
        } else {
            format!(" (committed interrupted run(s) {:?} first)", w.rolled_forward)
        };
        eprintln!(
            "driftgate: evidence for {} stored as sequence {}{rolled}: {} (sha256 {})",
            r.tenant, w.sequence, w.manifest_key, w.manifest_sha256
        );
        super::report_alert_failures(&r.check.report.alerts);
        if r.verified.ok() {
            let t = r.verified.tenants.first();
            eprintln!("driftgate: store verified: chain of {} package(s) intact", t.map_or(0, |t| t.packages));
        } else {
            eprint!("{}", r.verified.to_text());
            eprintln!("driftgate: the evidence store FAILED verification after this write");
        }
    }
    Ok(ExitCode::from(exit_code(&runs)))
}

pub fn evidence(c: EvidenceCommand) -> Result<ExitCode> {
    match c {
        EvidenceCommand::Keygen(a) => keygen(a),
        EvidenceCommand::Verify(a) => verify(a),
        EvidenceCommand::Report(a) => period_report(a),
    }
}

fn period_report(a: ReportArgs) -> Result<ExitCode> {
    use driftgate::period::{self, oscal, render};
    if !a.store.starts_with("s3://") && !PathBuf::from(&a.store).is_dir() {
        return Err(Error::Usage {
            message: format!("evidence store {} is not a directory", a.store),
            help: Some("give the store's root directory or s3://bucket/prefix".into()),
        });
    }
    let public_key = match &a.public_key {
        Some(p) => Some(PublicKey::parse(&driftgate::input::read_text(p)?, &p.display().to_string())?),
        None => None,
    };
    let opts = period::PeriodOptions { tenant: a.tenant, from: parse_day(&a.from)?, to: parse_day(&a.to)?, public_key };
    let store = open_store_url(&a.store, None, &a.s3.overrides())?;
    let report = period::build(store.as_ref(), &opts, time::OffsetDateTime::now_utc())?;
    let mut formats = a.format.clone();
    if formats.is_empty() {
        formats = if a.out.is_some() { vec!["json".into(), "html".into()] } else { vec!["markdown".into()] };
    }
    formats.dedup();
    let render_one = |f: &str| -> Vec<(String, Vec<u8>)> {
        let pretty = |v: &serde_json::Value| (driftgate::canonical::to_pretty(v) + "\n").into_bytes();
        match f {
            "json" => vec![(render::file_name(f).into(), render::json(&report).into_bytes())],
            "html" => vec![(render::file_name(f).into(), render::html(&report).into_bytes())],
            "csv" => vec![(render::file_name(f).into(), render::csv(&report).into_bytes())],
            "markdown" => vec![(render::file_name(f).into(), render::markdown(&report).into_bytes())],
            _ => vec![
                (render::file_name(f).into(), pretty(&oscal::assessment_results(&report))),
                (oscal::PLAN_FILE.into(), pretty(&oscal::assessment_plan(&report))),
            ],
        }
    };
    match &a.out {
        Some(dir) => {
            let files: Vec<(String, Vec<u8>)> = formats.iter().flat_map(|f| render_one(f)).collect();
            driftgate::fsutil::write_all_or_nothing(dir, &files)?;
            for (name, _) in &files {
                eprintln!("driftgate: wrote {}", dir.join(name).display());
            }
        }
        None => {
            for f in &formats {
                for (_, bytes) in render_one(f) {
                    super::print(&String::from_utf8_lossy(&bytes));
                }
            }
        }
    }
    let i = &report.integrity;
    if i.ok {
        eprintln!(
            "driftgate: {} package(s) of {} verified; {} day(s) from {} to {}",
            i.packages_verified,
            report.tenant,
            report.days.len(),
            report.from,
            report.to
        );
    } else {
        eprintln!(
            "driftgate: INTEGRITY FAILURE: {} problem(s), {} package(s) of the period left out; the report says so first",
            i.problems.iter().filter(|p| p.severity == "error").count(),
            i.excluded.len()
        );
    }
    Ok(if i.ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn keygen(a: KeygenArgs) -> Result<ExitCode> {
    let key = Signer25519::generate()?;
    std::fs::create_dir_all(&a.out).map_err(|source| Error::Write { path: a.out.clone(), source })?;
    let write_new = |name: &str, text: &str, mode: u32| -> Result<PathBuf> {
        let path = a.out.join(name);
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(mode);
        }
        let _ = mode;
        let mut f = opts.open(&path).map_err(|source| Error::Write { path: path.clone(), source })?;
        f.write_all(text.as_bytes())
            .and_then(|_| f.sync_all())
            .map_err(|source| Error::Write { path: path.clone(), source })?;
        Ok(path)
    };
    let private = write_new("driftgate.key", &key.to_file_text(), 0o600)?;
    let public = write_new("driftgate.pub", &key.public().to_file_text(), 0o644)?;
    eprintln!(
        "driftgate: wrote {} (keep it secret: never commit it or copy it into a store) and {} (fingerprint SHA256:{}; give it to auditors for --key-fingerprint)",
        private.display(),
        public.display(),
        key.public().fingerprint()
    );
    Ok(ExitCode::SUCCESS)
}

fn parse_day(s: &str) -> Result<time::Date> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| Error::Usage { message: format!("{s:?} is not a date"), help: Some("use YYYY-MM-DD".into()) })
}

/// `SHA256:<64 hex>` (or the bare hex), lower-cased.
fn parse_fingerprint(s: &str) -> Result<String> {
    let hex = s.trim().strip_prefix("SHA256:").unwrap_or(s.trim()).to_ascii_lowercase();
    if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(hex)
    } else {
        Err(Error::Usage {
            message: format!("--key-fingerprint {s:?} is not a SHA-256 fingerprint"),
            help: Some("give SHA256: followed by the 64 hex digits `evidence keygen` printed".into()),
        })
    }
}

fn verify(a: VerifyArgs) -> Result<ExitCode> {
    if !a.store.starts_with("s3://") && !PathBuf::from(&a.store).is_dir() {
        return Err(Error::Usage {
            message: format!("evidence store {} is not a directory", a.store),
            help: Some("give the store's root directory or s3://bucket/prefix".into()),
        });
    }
    let store = open_store_url(&a.store, None, &a.s3.overrides())?;
    let public_key = match &a.public_key {
        Some(p) => Some(PublicKey::parse(&driftgate::input::read_text(p)?, &p.display().to_string())?),
        None => None,
    };
    let opts = VerifyOptions {
        tenant: a.tenant,
        from: a.from.as_deref().map(parse_day).transpose()?,
        to: a.to.as_deref().map(parse_day).transpose()?,
        public_key,
        key_fingerprint: a.key_fingerprint.as_deref().map(parse_fingerprint).transpose()?,
        witness: a.witness,
    };
    let report = verify_store(store.as_ref(), &opts)?;
    if a.format == "json" {
        let mut v = serde_json::to_value(&report).unwrap_or_default();
        v["ok"] = serde_json::json!(report.ok());
        super::print(&(serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"));
    } else {
        super::print(&report.to_text());
    }
    Ok(if report.ok() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
