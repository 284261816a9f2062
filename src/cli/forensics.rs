//! `driftgate forensics collect|decrypt`.

use super::collect::ApiFlags;
use super::evidence::S3Flags;
use clap::{Args, Subcommand};
use driftgate::audit::parse_flag_time;
use driftgate::config::Config;
use driftgate::forensics::{decrypt, Artifact};
use driftgate::jobs::audit::AuditOverrides;
use driftgate::jobs::forensics::{forensics_collect, IncidentRequest};
use driftgate::jobs::StoreFlags;
use driftgate::{Error, Result};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ForensicsCommand {
    /// Collect an incident package: audit trail, subject, grants, roles, OAuth clients, snapshot;
    /// custody log, legal hold, optional age encryption.
    ///
    /// Exit codes: 0 collected and stored, 2 could not be done.
    Collect(Box<CollectArgs>),
    /// Decrypt a package's artifacts with an age identity file and check them against the
    /// hashes recorded on receipt.
    ///
    /// Exit codes: 0 every artifact decrypted to its recorded hash, 1 a hash differs, 2 could not be done.
    Decrypt(DecryptArgs),
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Configuration file (TOML): tenants, store, signing key, [audit].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The tenant.
    #[arg(long, value_name = "NAME")]
    tenant: String,
    /// Incident id (e.g. INC-1234).
    #[arg(long, value_name = "INC-ID")]
    incident: String,
    /// The subject's user id.
    #[arg(long, value_name = "USER_ID")]
    subject: String,
    /// An OAuth client involved.
    #[arg(long, value_name = "OAUTH_CLIENT_ID")]
    client: Option<String>,
    /// An address involved (audit events from it are collected too).
    #[arg(long, value_name = "ADDR")]
    ip: Option<String>,
    /// Window start (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    from: String,
    /// Window end (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    to: String,
    /// Encrypt the artifacts to this age public key (repeatable).
    #[arg(long, value_name = "AGE_PUBKEY")]
    recipient: Vec<String>,
    /// Apply the audit minimization and masking to the audit artifacts (default: raw).
    #[arg(long)]
    mask: bool,
    /// Who collects (default: $USER).
    #[arg(long, value_name = "NAME")]
    collected_by: Option<String>,
    /// Platform of a tenant given by flags.
    #[arg(long, value_parser = super::audit_platform_arg)]
    platform: Option<driftgate::platform::Platform>,
    #[command(flatten)]
    api: ApiFlags,
    /// Evidence store: a local directory or s3://bucket/prefix.
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    store: Option<String>,
    #[command(flatten)]
    s3: S3Flags,
    /// Private signing key file (or DRIFTGATE_SIGNING_KEY, or signing.key_file).
    #[arg(long, value_name = "FILE")]
    signing_key: Option<PathBuf>,
    /// Append the new signed chain head to this witness file, outside the store (repeatable;
    /// JSON Lines, fsynced). `evidence verify --witness FILE` checks the store against it.
    #[arg(long, value_name = "FILE")]
    witness: Vec<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DecryptArgs {
    /// The package directory (the one holding manifest.json and artifacts.json).
    package: PathBuf,
    /// age identity file (from age-keygen).
    #[arg(long, value_name = "FILE")]
    identity: PathBuf,
    /// Write the plaintext artifacts here.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

pub fn run(c: ForensicsCommand) -> Result<ExitCode> {
    match c {
        ForensicsCommand::Collect(a) => collect(*a),
        ForensicsCommand::Decrypt(a) => decrypt_cmd(a),
    }
}

fn collect(a: CollectArgs) -> Result<ExitCode> {
    let config = match &a.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let o = AuditOverrides {
        tenant: Some(a.tenant),
        platform: a.platform,
        region: a.api.region,
        base_url: a.api.base_url,
        auth_url: a.api.auth_url,
        credentials_file: a.api.credentials_file,
        store: StoreFlags { store: a.store, s3: a.s3.overrides(), signing_key: a.signing_key },
        witness: a.witness,
        ..Default::default()
    };
    let req = IncidentRequest {
        incident: a.incident,
        subject: a.subject,
        client: a.client,
        ip: a.ip,
        from: parse_flag_time(&a.from, "--from")?,
        to: parse_flag_time(&a.to, "--to")?,
        recipients: a.recipient,
        mask: a.mask,
        collected_by: a.collected_by.or_else(|| std::env::var("USER").ok()).unwrap_or_else(|| "unknown".into()),
    };
    let out = forensics_collect(&config, &o, &req)?;
    for art in &out.artifacts {
        eprintln!(
            "driftgate: {} {} ({} bytes, sha256 {}){}",
            out.incident,
            art.artifact,
            art.bytes,
            art.sha256,
            if art.encrypted { " encrypted" } else { "" }
        );
    }
    eprintln!(
        "driftgate: incident {} sealed as sequence {}: {} ({} custody entries, legal hold)",
        out.incident, out.sequence, out.manifest_key, out.custody_entries
    );
    super::print(&serde_json::to_string_pretty(&out).unwrap_or_default());
    Ok(ExitCode::SUCCESS)
}

fn decrypt_cmd(a: DecryptArgs) -> Result<ExitCode> {
    let index: serde_json::Value =
        driftgate::input::read_json(&a.package.join("artifacts.json"), "a forensic artifact index")?;
    let artifacts: Vec<Artifact> = serde_json::from_value(index["artifacts"].clone()).map_err(|e| Error::Invalid {
        path: a.package.join("artifacts.json"),
        message: format!("unreadable artifact index: {e}"),
        help: None,
    })?;
    let identity = driftgate::input::read_text(&a.identity)?;
    let mut bad = 0;
    for art in &artifacts {
        let path = a.package.join(&art.stored_as);
        let stored = std::fs::read(&path).map_err(|source| Error::Read { path: path.clone(), source })?;
        let plain = if art.encrypted { decrypt(&identity, &stored)? } else { stored };
        let sha = driftgate::canonical::sha256_hex(&plain);
        let out = a.out.join(&art.artifact);
        driftgate::fsutil::write_atomic(&out, &plain)?;
        if sha == art.sha256 {
            eprintln!("driftgate: {} decrypted, sha256 {sha} as received", art.artifact);
        } else {
            bad += 1;
            eprintln!("driftgate: {} decrypted to sha256 {sha}, but {} was received", art.artifact, art.sha256);
        }
    }
    Ok(if bad == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
