//! `driftgate collect`.

use clap::Args;
use driftgate::collect::{collect, CollectOptions};
use driftgate::config::{CredentialsConfig, TenantConfig};
use driftgate::platform::Platform;
use driftgate::Result;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where a tenant's API is and how to sign in (shared by collect, audit pull, forensics).
#[derive(Debug, Args)]
pub struct ApiFlags {
    /// Genesys: region (e.g. eu-west-1) or its domain (e.g. mypurecloud.ie). CXone: area (e.g. na1).
    #[arg(long, value_name = "REGION|DOMAIN")]
    pub region: Option<String>,
    /// API base URL (Genesys default: https://api.<domain of the region>; CXone: discovered, or https://api-<area>.niceincontact.com).
    #[arg(long, value_name = "URL")]
    pub base_url: Option<String>,
    /// OAuth token endpoint (default: the region's login host; <base-url>/oauth/token with --base-url only).
    #[arg(long, value_name = "URL")]
    pub auth_url: Option<String>,
    /// JSON credentials file. Genesys: client_id, client_secret (default: GENESYS_CLIENT_ID /
    /// GENESYS_CLIENT_SECRET). CXone: access_key_id, access_key_secret, and client_id,
    /// client_secret of a registered application if any (default: CXONE_ACCESS_KEY_ID /
    /// CXONE_ACCESS_KEY_SECRET, CXONE_CLIENT_ID / CXONE_CLIENT_SECRET).
    #[arg(long, value_name = "FILE")]
    pub credentials_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct CollectArgs {
    /// Platform.
    #[arg(long, value_parser = super::platform_arg)]
    platform: Platform,
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
    /// CXone: the tenant id, to discover the API host (/.well-known/cxone-configuration).
    #[arg(long, value_name = "ID")]
    tenant_id: Option<String>,
    /// CXone: the identity host serving discovery and /auth/token (default https://cxone.niceincontact.com).
    #[arg(long, value_name = "URL")]
    identity_url: Option<String>,
    /// CXone: ACD admin API version (default v31.0).
    #[arg(long, value_name = "vNN.0")]
    api_version: Option<String>,
    /// CXone: items per page (top; default 100).
    #[arg(long, value_name = "N")]
    page_size: Option<u32>,
}

pub fn run(a: CollectArgs) -> Result<ExitCode> {
    if a.platform != Platform::NiceCxone {
        for (flag, given) in [
            ("--tenant-id", a.tenant_id.is_some()),
            ("--identity-url", a.identity_url.is_some()),
            ("--api-version", a.api_version.is_some()),
            ("--page-size", a.page_size.is_some()),
        ] {
            if given {
                return Err(driftgate::Error::Usage {
                    message: format!("{flag} is for --platform nice-cxone"),
                    help: None,
                });
            }
        }
    }
    let tenant = TenantConfig {
        region: a.api.region,
        base_url: a.api.base_url,
        auth_url: a.api.auth_url,
        resources: a.resources,
        settle_minutes: a.settle,
        tenant_id: a.tenant_id,
        identity_url: a.identity_url,
        api_version: a.api_version,
        page_size: a.page_size,
        credentials: Some(CredentialsConfig { secret_file: a.api.credentials_file, ..Default::default() }),
        ..TenantConfig::named(&a.tenant, a.platform)
    };
    let opts = CollectOptions { concurrency: a.concurrency, ..tenant.collect_options()? };
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
