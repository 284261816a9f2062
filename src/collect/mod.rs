//! Collection: the first stage. A collector reads a tenant's configuration from its
//! platform's API into a `driftgate.snapshot/v1` document, completely or not at all: a short
//! listing fails the collection (exit 2) rather than producing a truncated snapshot.

pub mod api;
pub mod cxone;
pub mod genesys;

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::snapshot::{Metadata, Snapshot, SNAPSHOT_FORMAT};
use api::{ApiClient, Auth, CallError, Credentials, RetryPolicy};
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What to collect, from where.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// The platform.
    pub platform: crate::platform::Platform,
    /// Genesys: region name or domain (e.g. `eu-west-1` or `mypurecloud.ie`). CXone: the
    /// area (`na1`), when neither discovery nor a base URL is used.
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
    /// How to sign in.
    pub auth: Auth,
    /// CXone: the tenant id, for host discovery.
    pub tenant_id: Option<String>,
    /// CXone: the identity host serving discovery and the OIDC token endpoint (default
    /// `https://cxone.niceincontact.com`).
    pub identity_url: Option<String>,
    /// CXone: the ACD admin API version (default `v31.0`).
    pub api_version: Option<String>,
    /// CXone: items per page (`top`, default 100).
    pub page_size: Option<u32>,
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
    crate::snapshot::validate_tenant_name(&opts.tenant)
        .map_err(|why| Error::Usage { message: format!("tenant {:?} {why}", opts.tenant), help: None })?;
    match opts.platform {
        crate::platform::Platform::GenesysCloud => collect_genesys(opts),
        crate::platform::Platform::NiceCxone => collect_cxone(opts),
    }
}

fn collect_genesys(opts: &CollectOptions) -> Result<Snapshot> {
    let (base, auth, domain) = urls(opts.region.as_deref(), opts.base_url.as_deref(), opts.auth_url.as_deref())?;
    let api = ApiClient::with_auth(&base, &auth, opts.auth.clone(), RetryPolicy::default())?;
    let endpoints = select(genesys::ENDPOINTS, |e| e.rtype, &opts.resources, "Genesys Cloud")?;
    let started = time::OffsetDateTime::now_utc();
    let settle = match opts.settle_minutes {
        Some(m) => Some(settle(&api, m)?),
        None => None,
    };
    let collected_at = time::OffsetDateTime::now_utc();
    let results = run_parallel(&endpoints, |e| e.rtype, |ep| genesys::collect_type(&api, ep, opts), opts)?;
    let source = Source {
        collector: "driftgate-genesys-cloud",
        base_url: base,
        region: domain,
        api_version: "v2".into(),
        started,
        collected_at,
        settle,
    };
    finish(opts, source, results)
}

fn collect_cxone(opts: &CollectOptions) -> Result<Snapshot> {
    if opts.settle_minutes.is_some() {
        return Err(Error::Usage {
            message: "--settle is not available for nice-cxone".into(),
            help: Some("CXone has no audit query API to tell whether configuration is still changing".into()),
        });
    }
    let hosts = cxone::hosts(
        opts.base_url.as_deref(),
        opts.tenant_id.as_deref(),
        opts.region.as_deref(),
        opts.identity_url.as_deref(),
        opts.auth_url.as_deref(),
        &opts.auth,
    )?;
    let api = ApiClient::with_auth(&hosts.api, &hosts.token, opts.auth.clone(), RetryPolicy::default())?;
    let endpoints = select(cxone::ENDPOINTS, |e| e.rtype, &opts.resources, "NICE CXone")?;
    let started = time::OffsetDateTime::now_utc();
    let results = run_parallel(&endpoints, |e| e.rtype, |ep| cxone::collect_type(&api, ep, opts), opts)?;
    let version = opts.api_version.clone().unwrap_or_else(|| cxone::DEFAULT_API_VERSION.to_string());
    let source = Source {
        collector: "driftgate-nice-cxone",
        region: hosts.area.clone().unwrap_or_else(|| hosts.api.clone()),
        base_url: hosts.api,
        api_version: format!("v{}", version.trim_start_matches('v')),
        started,
        collected_at: started,
        settle: None,
    };
    finish(opts, source, results)
}

/// Why one attempt at a type failed.
#[derive(Debug)]
pub(crate) enum Attempt {
    /// The listing changed while it was read (total moved, an item repeated): read it again.
    Inconsistent(String),
    /// Fewer items than the listing's total.
    Short { collected: usize, total: u64 },
    /// The API refused or failed.
    Failed(String),
}

impl From<CallError> for Attempt {
    fn from(e: CallError) -> Self {
        Attempt::Failed(e.message)
    }
}

/// Reads a type with `attempt`, again (three times in all) while the listing changes
/// underneath or comes up short of its reported total (the field `total_field`); an API
/// failure ends it at once.
pub(crate) fn read_again(
    rtype: &str,
    total_field: &str,
    mut attempt: impl FnMut() -> std::result::Result<TypeCollection, Attempt>,
) -> Result<TypeCollection> {
    let mut last = String::new();
    for _ in 0..3 {
        match attempt() {
            Ok(c) => return Ok(c),
            Err(Attempt::Inconsistent(why)) => last = why,
            Err(Attempt::Short { collected, total }) => {
                last = format!("collected {collected} of the {total} items the listing reports ({total_field})")
            }
            Err(Attempt::Failed(why)) => {
                return Err(Error::Api {
                    message: format!("collection of {rtype} failed: {why}"),
                    help: Some("nothing was written: a snapshot is complete or it is not produced".into()),
                })
            }
        }
    }
    Err(Error::Collection {
        message: format!("collection of {rtype} is incomplete: {last}"),
        help: Some("the listing came up short three times; nothing was written (a truncated snapshot would hide configuration)".into()),
    })
}

/// The endpoints of the `wanted` resource types (all when none is named).
fn select<'a, E>(all: &'a [E], rtype: fn(&E) -> &'static str, wanted: &[String], label: &str) -> Result<Vec<&'a E>> {
    if wanted.is_empty() {
        return Ok(all.iter().collect());
    }
    wanted
        .iter()
        .map(|r| {
            all.iter().find(|e| rtype(e) == r).ok_or_else(|| Error::Usage {
                message: format!("unknown resource type {r:?}"),
                help: Some(format!("{label} types: {}", all.iter().map(rtype).collect::<Vec<_>>().join(", "))),
            })
        })
        .collect()
}

/// Where a collection came from, for the snapshot's metadata.
struct Source {
    collector: &'static str,
    base_url: String,
    region: String,
    api_version: String,
    started: time::OffsetDateTime,
    collected_at: time::OffsetDateTime,
    settle: Option<Value>,
}

fn finish(opts: &CollectOptions, src: Source, results: Vec<(String, TypeCollection)>) -> Result<Snapshot> {
    let Source { collector, base_url: base, region: domain, api_version, started, collected_at, settle } = src;
    let mut resources = BTreeMap::new();
    let mut records = Vec::new();
    for (rtype, tc) in results {
        for mut e in tc.endpoints {
            e.resource_type = rtype.clone();
            records.push(e);
        }
        resources.insert(rtype, tc.items);
    }
    let stamp = crate::clock::stamp(collected_at);
    let mut extra = BTreeMap::new();
    extra.insert("collector".to_string(), json!({"name": collector, "version": env!("CARGO_PKG_VERSION")}));
    extra.insert("endpoints".to_string(), serde_json::to_value(&records).unwrap_or(Value::Null));
    extra.insert("api_base_url".to_string(), json!(base));
    extra.insert("collection_started_at".to_string(), json!(crate::clock::rfc3339(started)));
    if let Some(s) = settle {
        extra.insert("settle".to_string(), s);
    }
    let mut snapshot = Snapshot {
        format: SNAPSHOT_FORMAT.to_string(),
        metadata: Metadata {
            platform: opts.platform.name().to_string(),
            tenant: opts.tenant.clone(),
            region: Some(domain),
            api_version: Some(api_version),
            collected_at: Some(crate::clock::rfc3339(collected_at)),
            collection_id: Some(format!("{}-{stamp}", opts.tenant)),
            service_account_id: Some(opts.auth.principal().to_string()),
            extra,
        },
        resources,
        extra: BTreeMap::new(),
    };
    let catalog = Catalog::built_in()?;
    crate::normalize::redact_secrets(&mut snapshot, catalog.platform(opts.platform.name())?);
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

/// Collects every endpoint with `collect_one` on at most `opts.concurrency` threads; the first
/// failure stops the rest.
fn run_parallel<E: Sync>(
    endpoints: &[&E],
    rtype: fn(&E) -> &'static str,
    collect_one: impl Fn(&E) -> Result<TypeCollection> + Sync,
    opts: &CollectOptions,
) -> Result<Vec<(String, TypeCollection)>> {
    let count = endpoints.len();
    let queue = Mutex::new(endpoints.to_vec());
    let results: Mutex<Vec<(String, TypeCollection)>> = Mutex::new(Vec::new());
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let bar = progress_bar(opts.progress, count);
    std::thread::scope(|s| {
        for _ in 0..opts.concurrency.clamp(1, 16) {
            s.spawn(|| loop {
                if failure.lock().map(|f| f.is_some()).unwrap_or(true) {
                    return;
                }
                let Some(ep) = queue.lock().ok().and_then(|mut q| q.pop()) else { return };
                let rtype = rtype(ep);
                let started = Instant::now();
                match collect_one(ep) {
                    Ok(tc) => {
                        let pages: usize = tc.endpoints.iter().map(|e| e.pages).sum();
                        let line = format!(
                            "{}: {} item(s), {pages} page(s), {:.1}s",
                            rtype,
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
                            r.push((rtype.to_string(), tc));
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
