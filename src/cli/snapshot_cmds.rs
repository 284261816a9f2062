//! `driftgate baseline update`, `driftgate diff`, `driftgate normalize`.

use clap::{Args, Subcommand};
use driftgate::catalog::Catalog;
use driftgate::normalize::normalize as normalize_snapshot;
use driftgate::schema::{gate, SchemaRegistry};
use driftgate::snapshot::Snapshot;
use driftgate::{baseline as bl, canonical, diff as df, Error, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Write the normalized snapshot as the approved baseline (pretty, sorted keys), for review in a pull request.
    Update(BaselineUpdateArgs),
}

#[derive(Debug, Args)]
pub struct BaselineUpdateArgs {
    /// The snapshot to approve.
    snapshot: PathBuf,
    /// The baseline file to write.
    #[arg(long, value_name = "PATH")]
    baseline: PathBuf,
    /// Schema directory to use instead of the built-in schemas.
    #[arg(long, value_name = "DIR")]
    schemas: Option<PathBuf>,
    /// Resource catalog file adding to or replacing the built-in platforms.
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The older snapshot (or baseline).
    old: PathBuf,
    /// The newer snapshot.
    new: PathBuf,
    /// text: unified diff of the canonical JSON; json: drift records; patch: RFC 6902 JSON Patch.
    #[arg(long, default_value = "text", value_parser = ["text", "json", "patch"])]
    format: String,
    /// Resource catalog file adding to or replacing the built-in platforms.
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct NormalizeArgs {
    /// The snapshot to normalize.
    snapshot: PathBuf,
    /// Write here instead of stdout.
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Canonical compact form (the bytes driftgate hashes) instead of pretty.
    #[arg(long)]
    compact: bool,
    /// Resource catalog file adding to or replacing the built-in platforms.
    #[arg(long, value_name = "FILE")]
    catalog: Option<PathBuf>,
}

fn catalog(path: &Option<PathBuf>) -> Result<Catalog> {
    match path {
        Some(p) => Catalog::with_file(p),
        None => Catalog::built_in(),
    }
}

fn read_normalized(path: &Path, catalog: &Catalog) -> Result<Snapshot> {
    let s = Snapshot::from_file(path)?;
    let rules = catalog.platform(&s.metadata.platform)?;
    Ok(normalize_snapshot(s, rules))
}

pub fn baseline(c: BaselineCommand) -> Result<ExitCode> {
    let BaselineCommand::Update(a) = c;
    let catalog = catalog(&a.catalog)?;
    let normalized = read_normalized(&a.snapshot, &catalog)?;
    let rules = catalog.platform(&normalized.metadata.platform)?;
    let registry = match &a.schemas {
        Some(d) => SchemaRegistry::from_dir(d)?,
        None => SchemaRegistry::built_in()?,
    };
    let gated = gate(&normalized, &registry, rules);
    if let Some(q) = gated.quarantine.first() {
        return Err(Error::Invalid {
            path: a.snapshot.clone(),
            message: format!(
                "{} item(s) fail the schema gate (first: {}/{}: {}); a baseline must hold only valid configuration",
                gated.quarantine.len(),
                q.resource_type,
                q.resource_id,
                q.errors.first().map(|e| e.message.as_str()).unwrap_or("")
            ),
            help: Some("run `driftgate check` on the snapshot to see every schema error".into()),
        });
    }
    driftgate::fsutil::write_atomic(&a.baseline, bl::render(&normalized).as_bytes())?;
    eprintln!(
        "driftgate: wrote baseline {} ({} resource types); review and merge it to approve",
        a.baseline.display(),
        normalized.resources.len()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn diff(a: DiffArgs) -> Result<ExitCode> {
    let catalog = catalog(&a.catalog)?;
    let old = read_normalized(&a.old, &catalog)?;
    let new = read_normalized(&a.new, &catalog)?;
    if old.metadata.platform != new.metadata.platform {
        return Err(Error::Usage {
            message: format!(
                "{} is {} and {} is {}",
                a.old.display(),
                old.metadata.platform,
                a.new.display(),
                new.metadata.platform
            ),
            help: Some("diff compares two snapshots of the same platform".into()),
        });
    }
    let rules = catalog.platform(&new.metadata.platform)?;
    let changes = df::diff(&old, &new, rules, &df::Exclusions::new());
    let out = match a.format.as_str() {
        "json" => serde_json::to_string_pretty(&changes).unwrap_or_default() + "\n",
        "patch" => serde_json::to_string_pretty(&df::to_patch(&old, &new)).unwrap_or_default() + "\n",
        _ => df::to_unified_text(&old, &new, &a.old.display().to_string(), &a.new.display().to_string()),
    };
    super::print(&out);
    Ok(if changes.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

pub fn normalize(a: NormalizeArgs) -> Result<ExitCode> {
    let catalog = catalog(&a.catalog)?;
    let normalized = read_normalized(&a.snapshot, &catalog)?;
    let value = normalized.to_value();
    let text = if a.compact {
        String::from_utf8(canonical::to_vec(&value)).unwrap_or_default() + "\n"
    } else {
        canonical::to_pretty(&value)
    };
    match &a.output {
        Some(p) => driftgate::fsutil::write_atomic(p, text.as_bytes())?,
        None => super::print(&text),
    }
    Ok(ExitCode::SUCCESS)
}
