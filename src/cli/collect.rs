//! `driftgate collect`.

use clap::Args;
use driftgate::collect::api::Credentials;
use driftgate::collect::{collect, CollectOptions};
use driftgate::Result;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where a tenant's API is and how to sign in (shared by collect, audit pull, forensics).
#[derive(Debug, Args)]
pub struct ApiFlags {
    /// Region (e.g. eu-west-1) or its domain (e.g. mypurecloud.ie).
    #[arg(long, value_name = "REGION|DOMAIN")]
    pub region: Option<String>,
    /// API base URL (default: https://api.<domain of the region>).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// OAuth token endpoint (default: the region's login host; <base-url>/oauth/token with --base-url only).
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// JSON file with client_id and client_secret (default: GENESYS_CLIENT_ID / GENESYS_CLIENT_SECRET).
    #[arg(long, value_name = "FILE")]
    pub credentials_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Platform.
    #[arg(long, value_parser = ["genesys-cloud"])]
    platform: String,
    /// The tenant's name, as baselines and the evidence store call it.
    #[arg(long, value_name = "NAME")]
    tenant: String,
    /// Write the snapshot here (default: stdout).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    output: Option<PathBuf>,
    /// Only these resource types (comma-separated).
    #[arg(long, value_name = "TYPES", value_delimiter = ',')]
    resources: Vec<String>,
    /// Wait (bounded) while the audit trail shows configuration changes in the last MINUTES.
    #[arg(long, value_name = "MINUTES")]
    settle: Option<u64>,
    #[command(flatten)]
    api: ApiFlags,
    /// Resource types collected at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
    concurrency: usize,
}

pub fn run(a: CollectArgs) -> Result<ExitCode> {
    let credentials = match &a.api.credentials_file {
        Some(p) => Credentials::from_file(p)?,
        None => Credentials::from_env("GENESYS_CLIENT_ID", "GENESYS_CLIENT_SECRET")?,
    };
    let opts = CollectOptions {
        platform: a.platform,
        region: a.api.region,
        tenant: a.tenant,
        base_url: a.api.base_url,
        auth_url: a.api.auth_url,
        resources: a.resources,
        settle_minutes: a.settle,
        concurrency: a.concurrency,
        credentials,
        progress: true,
    };
    let snapshot = collect(&opts)?;
    let text = driftgate::canonical::to_pretty(&snapshot.to_value());
    match &a.output {
        Some(p) => {
            driftgate::fsutil::write_atomic(p, text.as_bytes())?;
            let items: usize = snapshot.resources.values().map(Vec::len).sum();
            eprintln!("driftgate: wrote {} ({} resource types, {items} items)", p.display(), snapshot.resources.len());
        }
        None => super::print(&text),
    }
    Ok(ExitCode::SUCCESS)
}
