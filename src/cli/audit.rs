//! `driftgate audit pull|status`.

use super::collect::ApiFlags;
use super::evidence::S3Flags;
use clap::{Args, Subcommand};
use driftgate::audit::parse_flag_time;
use driftgate::config::Config;
use driftgate::jobs::audit::{audit_pull, audit_status, AuditOverrides};
use driftgate::jobs::StoreFlags;
use driftgate::Result;
use std::path::PathBuf;
use std::process::ExitCode;

// Parsed once per process: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Pull the audit-log delta since the checkpoint into the evidence store (minimized, masked).
    ///
    /// Exit codes: 0 pulled, 1 pulled with warnings (retention guard, a sink failed), 2 could not be done.
    Pull(PullArgs),
    /// Show each tenant's checkpoint, last success, lag and uncollected intervals.
    ///
    /// Exit codes: 0 fine, 1 gaps, no checkpoint or past the retention guard, 2 could not be done.
    Status(StatusArgs),
    /// Search the archived audit events (beyond the platform's retention), each batch checked
    /// against its signed manifest before it is used; says what of the window is not covered.
    ///
    /// Exit codes: 0 searched, 1 a batch failed its check (its events are not shown), 2 could not be done.
    Search(SearchArgs),
}

#[derive(Debug, Args)]
pub struct Target {
    /// Configuration file (TOML): tenants, store, signing key, [audit].
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Only this tenant (with --platform, a tenant the config does not list).
    #[arg(long, value_name = "NAME")]
    tenant: Option<String>,
    /// Evidence store: a local directory or s3://bucket/prefix (overrides the config's store).
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    store: Option<String>,
    #[command(flatten)]
    s3: S3Flags,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    #[command(flatten)]
    target: Target,
    /// Start here instead of the checkpoint minus the overlap (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    since: Option<String>,
    /// End here instead of now (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    until: Option<String>,
    /// Read every interval up to now, pausing between them (resumable).
    #[arg(long)]
    backfill: bool,
    /// Platform of a tenant given by flags.
    #[arg(long, value_parser = super::audit_platform_arg)]
    platform: Option<driftgate::platform::Platform>,
    #[command(flatten)]
    api: ApiFlags,
    /// Private signing key file (or DRIFTGATE_SIGNING_KEY, or signing.key_file).
    #[arg(long, value_name = "FILE")]
    signing_key: Option<PathBuf>,
    /// Append the new signed chain head to this witness file, outside the store (repeatable;
    /// JSON Lines, fsynced). `evidence verify --witness FILE` checks the store against it.
    #[arg(long, value_name = "FILE")]
    witness: Vec<PathBuf>,
    /// Output format of the summary.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    target: Target,
    /// Output format.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
}

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The evidence store: a local directory or s3://bucket/prefix.
    #[arg(long, value_name = "DIR|s3://BUCKET/PREFIX")]
    store: String,
    #[command(flatten)]
    s3: S3Flags,
    /// The tenant whose audit stream (`<tenant>.audit`) to search.
    #[arg(long, value_name = "NAME")]
    tenant: String,
    /// Window start (RFC 3339; default: the first archived interval).
    #[arg(long, value_name = "RFC3339")]
    from: Option<String>,
    /// Window end, exclusive (RFC 3339; default: now).
    #[arg(long, value_name = "RFC3339")]
    to: Option<String>,
    /// Events by this user id (`user.id`).
    #[arg(long, value_name = "ID")]
    user: Option<String>,
    /// Events on this entity id (`entity.id`).
    #[arg(long, value_name = "ID")]
    entity: Option<String>,
    /// Events on this entity type (`entityType`, e.g. Role, User, Queue).
    #[arg(long, value_name = "TYPE")]
    entity_type: Option<String>,
    /// Events with this action (e.g. Create, Update, Delete).
    #[arg(long, value_name = "ACTION")]
    action: Option<String>,
    /// Events of this audit service (`serviceName`, e.g. PeoplePermissions).
    #[arg(long, value_name = "SERVICE")]
    service: Option<String>,
    /// Events made through this OAuth client id (`client.id`).
    #[arg(long, value_name = "ID")]
    client: Option<String>,
    /// Events from this remote address (one of `remoteIp`).
    #[arg(long, value_name = "ADDR")]
    ip: Option<String>,
    /// Events with this text in any of their values (masked values stay masked).
    #[arg(long, value_name = "TEXT")]
    contains: Option<String>,
    /// Check the batches' signatures with this public key (pinned) instead of the store's.
    #[arg(long, value_name = "FILE")]
    public_key: Option<PathBuf>,
    /// Output format (default: table on a terminal, ndjson otherwise).
    #[arg(long, value_parser = ["table", "ndjson", "csv", "json"])]
    format: Option<String>,
}

pub fn run(c: AuditCommand) -> Result<ExitCode> {
    match c {
        AuditCommand::Pull(a) => pull(a),
        AuditCommand::Status(a) => status(a),
        AuditCommand::Search(a) => search(a),
    }
}

fn search(a: SearchArgs) -> Result<ExitCode> {
    use driftgate::audit::{archive::Trust, search};
    use std::io::IsTerminal;
    driftgate::snapshot::validate_tenant_name(&a.tenant)
        .map_err(|why| driftgate::Error::Usage { message: format!("--tenant {:?} {why}", a.tenant), help: None })?;
    if !a.store.starts_with("s3://") && !PathBuf::from(&a.store).is_dir() {
        return Err(driftgate::Error::Usage {
            message: format!("evidence store {} is not a directory", a.store),
            help: Some("give the store's root directory or s3://bucket/prefix".into()),
        });
    }
    let store = driftgate::jobs::open_store_url(&a.store, None, &a.s3.overrides())?;
    let trust = match &a.public_key {
        Some(p) => Trust::Pinned(driftgate::evidence::PublicKey::parse(
            &driftgate::input::read_text(p)?,
            &p.display().to_string(),
        )?),
        None => Trust::Store,
    };
    let now = time::OffsetDateTime::now_utc();
    let to = a.to.as_deref().map(|s| parse_flag_time(s, "--to")).transpose()?.unwrap_or(now);
    let from = match a.from.as_deref() {
        Some(s) => parse_flag_time(s, "--from")?,
        None => search::earliest(store.as_ref(), &a.tenant)?.unwrap_or(to).min(to),
    };
    if from > to {
        return Err(driftgate::Error::Usage { message: "--from must not be after --to".into(), help: None });
    }
    let filters = search::Filters {
        user: a.user,
        entity: a.entity,
        entity_type: a.entity_type,
        action: a.action,
        service: a.service,
        client: a.client,
        ip: a.ip,
        contains: a.contains,
    };
    let found = search::search(store.as_ref(), &a.tenant, (from, to), &trust, &filters)?;
    let format = a.format.unwrap_or_else(|| if std::io::stdout().is_terminal() { "table" } else { "ndjson" }.into());
    for n in search::notes(&found) {
        eprintln!("driftgate: {n}");
    }
    let out = match format.as_str() {
        "json" => {
            serde_json::to_string_pretty(&search::to_json(&found, &a.tenant, &filters)).unwrap_or_default() + "\n"
        }
        "csv" => search::to_csv(&found),
        "table" => search::to_table(&found),
        _ => search::to_ndjson(&found),
    };
    super::print(&out);
    Ok(if found.sound() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn load(t: &Target) -> Result<Config> {
    match &t.config {
        Some(p) => Config::load(p),
        None => Ok(Config::default()),
    }
}

fn pull(a: PullArgs) -> Result<ExitCode> {
    let config = load(&a.target)?;
    let o = AuditOverrides {
        tenant: a.target.tenant.clone(),
        platform: a.platform,
        region: a.api.region,
        base_url: a.api.base_url,
        auth_url: a.api.auth_url,
        credentials_file: a.api.credentials_file,
        store: StoreFlags { store: a.target.store.clone(), s3: a.target.s3.overrides(), signing_key: a.signing_key },
        since: a.since.as_deref().map(|s| parse_flag_time(s, "--since")).transpose()?,
        until: a.until.as_deref().map(|s| parse_flag_time(s, "--until")).transpose()?,
        backfill: a.backfill,
        witness: a.witness,
    };
    let outcomes = audit_pull(&config, &o)?;
    let mut warned = false;
    for p in &outcomes {
        for b in &p.batches {
            eprintln!(
                "driftgate: {} audit {} → {}: {} event(s) received, {} written, {} already stored; sequence {}",
                p.tenant, b.from, b.to, b.received, b.written, b.duplicates, b.sequence
            );
        }
        eprintln!(
            "driftgate: {} checkpoint {} → {}",
            p.tenant,
            p.checkpoint_before.as_deref().unwrap_or("(none)"),
            p.checkpoint_after.as_deref().unwrap_or("(none)")
        );
        if p.intervals_left > 0 {
            eprintln!(
                "driftgate: {}: {} interval(s) still to pull; the next pulls continue, or run with --backfill",
                p.tenant, p.intervals_left
            );
        }
        for w in &p.warnings {
            warned = true;
            eprintln!("driftgate: warning: {w}");
        }
    }
    if a.format == "json" {
        super::print(&serde_json::to_string_pretty(&outcomes).unwrap_or_default());
    }
    Ok(if warned { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn status(a: StatusArgs) -> Result<ExitCode> {
    let config = load(&a.target)?;
    let o = AuditOverrides {
        tenant: a.target.tenant.clone(),
        store: StoreFlags { store: a.target.store.clone(), s3: a.target.s3.overrides(), signing_key: None },
        ..Default::default()
    };
    let list = audit_status(&config, &o)?;
    if a.format == "json" {
        super::print(&serde_json::to_string_pretty(&list).unwrap_or_default());
    } else {
        let mut text = String::new();
        for s in &list {
            text.push_str(&format!(
                "{}: checkpoint {} (lag {}), last success {}, {} batch(es), {} event(s) since {}\n",
                s.tenant,
                s.checkpoint.as_deref().unwrap_or("none"),
                s.lag_hours.map_or("-".into(), |h| format!("{h} h")),
                s.last_success.as_deref().unwrap_or("never"),
                s.batches,
                s.events,
                s.collected_from.as_deref().unwrap_or("-"),
            ));
            for [from, to] in &s.gaps {
                text.push_str(&format!("  GAP never collected: {from} → {to}\n"));
            }
            if s.retention_warning {
                text.push_str("  RETENTION the checkpoint is close to or past the platform's audit retention\n");
            }
        }
        if list.is_empty() {
            text.push_str("no audit streams in the store\n");
        }
        super::print(&text);
    }
    Ok(if list.iter().any(|s| s.needs_attention()) || list.is_empty() { ExitCode::from(1) } else { ExitCode::SUCCESS })
}
