//! Collection: the first stage. A collector reads a tenant's configuration from its
//! platform's API into a `driftgate.snapshot/v1` document, completely or not at all: a short
//! listing fails the collection (exit 2) rather than producing a truncated snapshot.

pub mod api;
pub mod genesys;

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::snapshot::{Metadata, Snapshot, SNAPSHOT_FORMAT};
use api::{ApiClient, Credentials, RetryPolicy};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What to collect, from where.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// `genesys-cloud`.
    pub platform: String,
    /// Region name or domain (e.g. `eu-west-1` or `mypurecloud.ie`).
    pub region: Option<String>,
    /// The tenant's name (the snapshot's and the baseline's).
    pub tenant: String,
    /// API base URL (default `https://api.<domain>`).
    pub base_url: Option<String>,
    /// Token endpoint (default `https://login.<domain>/oauth/token`, or `<base-url>/oauth/token`
    /// when only the base URL is given).
    pub auth_url: Option<String>,
    /// Resource types to collect (default: every type of the platform).
    pub resources: Vec<String>,
    /// Settle window in minutes: wait while the audit trail shows recent changes.
    pub settle_minutes: Option<u64>,
    /// Resource types collected at once.
    pub concurrency: usize,
    /// Credentials.
    pub credentials: Credentials,
    /// Show a progress bar (on a terminal only).
    pub progress: bool,
}

/// One API listing as the evidence manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EndpointRecord {
    /// Resource type.
    pub resource_type: String,
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Query parameters.
    pub query: BTreeMap<String, String>,
    /// Pages read.
    pub pages: usize,
    /// Items received.
    pub items: usize,
}

impl EndpointRecord {
    pub(crate) fn new(method: &str, path: &str, query: Vec<(String, String)>, pages: usize, items: usize) -> Self {
        EndpointRecord {
            resource_type: String::new(),
            method: method.into(),
            path: path.into(),
            query: query.into_iter().collect(),
            pages,
            items,
        }
    }
}

/// One type's items and the listings they came from.
#[derive(Debug, Default)]
pub(crate) struct TypeCollection {
    pub items: Vec<Value>,
    pub endpoints: Vec<EndpointRecord>,
}

/// Collects a snapshot.
pub fn collect(opts: &CollectOptions) -> Result<Snapshot> {
    if opts.platform != "genesys-cloud" {
        return Err(Error::Usage {
            message: format!("collection from {} is not built yet", opts.platform),
            help: Some(
                "collect with another tool and pass the snapshot file (--snapshot), or use genesys-cloud".into(),
            ),
        });
    }
    crate::snapshot::validate_path_component(&opts.tenant)
        .map_err(|why| Error::Usage { message: format!("tenant {:?} {why}", opts.tenant), help: None })?;
    let (base, auth, domain) = urls(opts.region.as_deref(), opts.base_url.as_deref(), opts.auth_url.as_deref())?;
    let api = ApiClient::new(&base, &auth, opts.credentials.clone(), RetryPolicy::default())?;
    let endpoints: Vec<&genesys::Endpoint> = if opts.resources.is_empty() {
        genesys::ENDPOINTS.iter().collect()
    } else {
        let mut v = Vec::new();
        for r in &opts.resources {
            v.push(genesys::ENDPOINTS.iter().find(|e| e.rtype == r).ok_or_else(|| Error::Usage {
                message: format!("unknown resource type {r:?}"),
                help: Some(format!(
                    "Genesys Cloud types: {}",
                    genesys::ENDPOINTS.iter().map(|e| e.rtype).collect::<Vec<_>>().join(", ")
                )),
            })?);
        }
        v
    };
    let started = time::OffsetDateTime::now_utc();
    let settle = match opts.settle_minutes {
        Some(m) => Some(settle(&api, m)?),
        None => None,
    };
    let collected_at = time::OffsetDateTime::now_utc();
    let results = run_parallel(&api, &endpoints, opts)?;

    let mut resources = BTreeMap::new();
    let mut records = Vec::new();
    for (rtype, tc) in results {
        for mut e in tc.endpoints {
            e.resource_type = rtype.clone();
            records.push(e);
        }
        resources.insert(rtype, tc.items);
    }
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        collected_at.year(),
        u8::from(collected_at.month()),
        collected_at.day(),
        collected_at.hour(),
        collected_at.minute(),
        collected_at.second()
    );
    let mut extra = BTreeMap::new();
    extra.insert(
        "collector".to_string(),
        json!({"name": "driftgate-genesys-cloud", "version": env!("CARGO_PKG_VERSION")}),
    );
    extra.insert("endpoints".to_string(), serde_json::to_value(&records).unwrap_or(Value::Null));
    extra.insert("api_base_url".to_string(), json!(base));
    extra.insert("collection_started_at".to_string(), json!(crate::check::rfc3339(started)));
    if let Some(s) = settle {
        extra.insert("settle".to_string(), s);
    }
    let mut snapshot = Snapshot {
        format: SNAPSHOT_FORMAT.to_string(),
        metadata: Metadata {
            platform: opts.platform.clone(),
            tenant: opts.tenant.clone(),
            region: Some(domain),
            api_version: Some("v2".into()),
            collected_at: Some(crate::check::rfc3339(collected_at)),
            collection_id: Some(format!("{}-{stamp}", opts.tenant)),
            service_account_id: Some(opts.credentials.client_id.clone()),
            extra,
        },
        resources,
        extra: BTreeMap::new(),
    };
    let catalog = Catalog::built_in()?;
    crate::normalize::redact_secrets(&mut snapshot, catalog.platform(&opts.platform)?);
    Ok(snapshot)
}

/// An API client for a Genesys Cloud tenant: `region` (or `base_url`) and its token endpoint.
pub fn connect(
    region: Option<&str>,
    base_url: Option<&str>,
    auth_url: Option<&str>,
    credentials: Credentials,
) -> Result<ApiClient> {
    let (base, auth, _) = urls(region, base_url, auth_url)?;
    ApiClient::new(&base, &auth, credentials, RetryPolicy::default())
}

fn urls(region: Option<&str>, base_url: Option<&str>, auth_url: Option<&str>) -> Result<(String, String, String)> {
    let domain = match (region, base_url) {
        (Some(r), _) => genesys::region_domain(r)?,
        (None, Some(b)) => b.to_string(),
        (None, None) => {
            return Err(Error::Usage {
                message: "give --region (or --base-url)".into(),
                help: Some("e.g. --region eu-west-1".into()),
            })
        }
    };
    let base = base_url.map_or_else(|| format!("https://api.{domain}"), str::to_string);
    let auth = match (auth_url, base_url) {
        (Some(a), _) => a.to_string(),
        (None, Some(b)) => format!("{}/oauth/token", b.trim_end_matches('/')),
        (None, None) => format!("https://login.{domain}/oauth/token"),
    };
    Ok((base, auth, domain))
}

fn run_parallel(
    api: &ApiClient,
    endpoints: &[&genesys::Endpoint],
    opts: &CollectOptions,
) -> Result<Vec<(String, TypeCollection)>> {
    let queue = Mutex::new(endpoints.to_vec());
    let results: Mutex<Vec<(String, TypeCollection)>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let bar = progress_bar(opts.progress, endpoints.len());
    std::thread::scope(|s| {
        for _ in 0..opts.concurrency.clamp(1, 16) {
            s.spawn(|| loop {
                if failure.lock().map(|f| f.is_some()).unwrap_or(true) {
                    return;
                }
                let Some(ep) = queue.lock().ok().and_then(|mut q| q.pop()) else { return };
                let started = Instant::now();
                match genesys::collect_type(api, ep, opts) {
                    Ok(tc) => {
                        let pages: usize = tc.endpoints.iter().map(|e| e.pages).sum();
                        let line = format!(
                            "{}: {} item(s), {pages} page(s), {:.1}s",
                            ep.rtype,
                            tc.items.len(),
                            started.elapsed().as_secs_f64()
                        );
                        match &bar {
                            Some(b) => {
                                b.println(&line);
                                b.inc(1);
                            }
                            None => eprintln!("driftgate: collected {line}"),
                        }
                        if let Ok(mut r) = results.lock() {
                            r.push((ep.rtype.to_string(), tc));
                        }
                    }
                    Err(e) => {
                        if let Ok(mut f) = failure.lock() {
                            f.get_or_insert(e);
                        }
                    }
                }
            });
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(e) = failure.into_inner().unwrap_or(None) {
        return Err(e);
    }
    let mut r = results.into_inner().unwrap_or_default();
    r.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(r)
}

fn progress_bar(wanted: bool, len: usize) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !wanted || std::env::var_os("CI").is_some() || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{spinner} collecting [{bar:30}] {pos}/{len} resource types {elapsed}")
    {
        bar.set_style(style);
    }
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

/// Waits (bounded) until the audit trail shows no configuration change in the last
/// `minutes`, and returns what happened for the snapshot's metadata.
fn settle(api: &ApiClient, minutes: u64) -> Result<Value> {
    let poll = std::env::var("DRIFTGATE_SETTLE_POLL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(Duration::from_secs(minutes.clamp(1, 5) * 60), Duration::from_millis);
    let max_wait = Duration::from_secs(minutes * 60 * 3).max(poll);
    let started = Instant::now();
    let mut seen = Vec::new();
    loop {
        let changes = genesys::changes_in_last(api, minutes)?;
        seen.push(changes);
        if changes == 0 {
            return Ok(
                json!({"window_minutes": minutes, "waited_seconds": started.elapsed().as_secs(), "quiet": true, "changes_seen": seen}),
            );
        }
        if started.elapsed() + poll > max_wait {
            eprintln!(
                "driftgate: configuration was still changing after {} s; collecting anyway (recorded in the snapshot)",
                started.elapsed().as_secs()
            );
            return Ok(
                json!({"window_minutes": minutes, "waited_seconds": started.elapsed().as_secs(), "quiet": false, "changes_seen": seen}),
            );
        }
        eprintln!(
            "driftgate: {changes} configuration change(s) in the last {minutes} min; waiting for the tenant to settle"
        );
        std::thread::sleep(poll);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_come_from_the_region_or_the_flags() {
        let (api, auth, domain) = urls(Some("eu-central-1"), None, None).unwrap();
        assert_eq!(api, "https://api.mypurecloud.de");
        assert_eq!(auth, "https://login.mypurecloud.de/oauth/token");
        assert_eq!(domain, "mypurecloud.de");
        let (api, auth, _) = urls(Some("eu-west-1"), Some("http://127.0.0.1:9/"), None).unwrap();
        assert_eq!((api.as_str(), auth.as_str()), ("http://127.0.0.1:9/", "http://127.0.0.1:9/oauth/token"));
        let (_, auth, _) = urls(None, Some("http://a"), Some("http://b/token")).unwrap();
        assert_eq!(auth, "http://b/token");
        assert!(urls(None, None, None).is_err());
    }

    #[test]
    fn credentials_never_show_their_secret() {
        let c = Credentials { client_id: "id".into(), client_secret: "hunter2".into() };
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
