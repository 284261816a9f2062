//! The Genesys Cloud audit query flow: `POST /api/v2/audits/query` (interval, optional
//! service, filters), poll `GET /api/v2/audits/query/{id}` with backoff and jitter until the
//! title-case state is `Succeeded`, then page `GET /api/v2/audits/query/{id}/results` by
//! cursor (500 per page) until no cursor comes back. Each page's events are handed to the
//! caller as they arrive, so it can minimize them before anything else holds them.

use crate::collect::api::ApiClient;
use crate::error::{Error, Result};
use serde::Serialize;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Results per page (the API's maximum).
pub const PAGE_SIZE: u32 = 500;

/// One filter of an audit query: `property` is one of `UserId`, `TrusteeOrganizationId`,
/// `ClientId`, `Action`, `EntityType`, `EntityId`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Filter {
    /// The property.
    pub property: String,
    /// Its value.
    pub value: String,
}

/// One query as the evidence records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryRecord {
    /// `POST /api/v2/audits/query`.
    pub endpoint: String,
    /// The interval, `from/to`.
    pub interval: String,
    /// The service, when one was named.
    pub service: Option<String>,
    /// Filters.
    pub filters: Vec<Filter>,
    /// The query's transaction id.
    pub transaction_id: String,
    /// Status polls until it succeeded.
    pub polls: u32,
    /// Result pages read.
    pub pages: u32,
    /// Events received.
    pub events: usize,
}

/// How long to wait for a query to finish.
#[derive(Debug, Clone, Copy)]
pub struct Polling {
    /// First wait (doubled per poll, full jitter, capped at `cap`).
    pub base: Duration,
    /// Longest single wait.
    pub cap: Duration,
    /// Give up after this long.
    pub limit: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        let base = std::env::var("DRIFTGATE_AUDIT_POLL_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .map_or(Duration::from_secs(1), Duration::from_millis);
        Polling { base, cap: Duration::from_secs(30).max(base), limit: Duration::from_secs(15 * 60) }
    }
}

fn jitter(ceiling: Duration) -> Duration {
    let mut b = [0u8; 8];
    let _ = getrandom::fill(&mut b);
    // Never below half the ceiling: polling is waiting for work, not contending for a slot.
    ceiling.mul_f64(0.5 + 0.5 * ((u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64))
}

/// Runs one audit query over `[from, to)` and calls `page` with each page's events.
pub fn run_query(
    api: &ApiClient,
    from: OffsetDateTime,
    to: OffsetDateTime,
    service: Option<&str>,
    filters: &[Filter],
    polling: Polling,
    mut page: impl FnMut(Vec<Value>) -> Result<()>,
) -> Result<QueryRecord> {
    let interval = format!("{}/{}", crate::clock::rfc3339(from), crate::clock::rfc3339(to));
    let mut body = json!({
        "interval": interval,
        "sort": [{"name": "Timestamp", "sortOrder": "ascending"}],
    });
    if let Some(s) = service {
        body["serviceName"] = json!(s);
    }
    if !filters.is_empty() {
        body["filters"] = serde_json::to_value(filters).unwrap_or(Value::Null);
    }
    let fail = |what: String| Error::Api {
        message: format!("audit query {interval}{}: {what}", service.map(|s| format!(" ({s})")).unwrap_or_default()),
        help: Some(
            "nothing of this interval was stored; the checkpoint did not move, so the next pull retries it".into(),
        ),
    };
    let started = api.call("POST", "/api/v2/audits/query", Some(&body)).map_err(|e| fail(e.message))?;
    let id = started["id"].as_str().ok_or_else(|| fail("the answer has no transaction id".into()))?.to_string();
    if !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        return Err(fail(format!("unexpected transaction id {id:?}")));
    }
    // Poll until it succeeded.
    let mut state = started["state"].as_str().unwrap_or("Queued").to_string();
    let mut polls = 0u32;
    let t0 = Instant::now();
    let mut wait = polling.base;
    while state != "Succeeded" {
        match state.as_str() {
            "Failed" | "Cancelled" => {
                return Err(fail(format!("the platform reports the query {}", state.to_lowercase())))
            }
            "Queued" | "Running" => {}
            other => return Err(fail(format!("unknown query state {other:?}"))),
        }
        if t0.elapsed() > polling.limit {
            return Err(fail(format!("still {state} after {} s", polling.limit.as_secs())));
        }
        std::thread::sleep(jitter(wait));
        wait = (wait * 2).min(polling.cap);
        polls += 1;
        let v = api.call("GET", &format!("/api/v2/audits/query/{id}"), None).map_err(|e| fail(e.message))?;
        state = v["state"].as_str().unwrap_or("").to_string();
    }
    // Page the results by cursor.
    let mut cursor: Option<String> = None;
    let (mut pages, mut events) = (0u32, 0usize);
    loop {
        let mut path = format!("/api/v2/audits/query/{id}/results?pageSize={PAGE_SIZE}");
        if let Some(c) = &cursor {
            path.push_str("&cursor=");
            path.push_str(&crate::collect::genesys::urlencode(c));
        }
        let v = api.call("GET", &path, None).map_err(|e| fail(e.message))?;
        if v.get("downloadUrl").is_some() {
            return Err(fail("the results came as a download URL, which driftgate does not request".into()));
        }
        pages += 1;
        let entities = match v {
            Value::Object(mut o) => {
                let next = o.remove("cursor").and_then(|c| c.as_str().map(str::to_string)).filter(|c| !c.is_empty());
                if next.is_some() && next == cursor {
                    return Err(fail("the results cursor did not advance".into()));
                }
                cursor = next;
                match o.remove("entities") {
                    Some(Value::Array(a)) => a,
                    _ => Vec::new(),
                }
            }
            _ => return Err(fail("the results page is not an object".into())),
        };
        events += entities.len();
        page(entities)?;
        if cursor.is_none() {
            break;
        }
    }
    Ok(QueryRecord {
        endpoint: "POST /api/v2/audits/query".into(),
        interval,
        service: service.map(str::to_string),
        filters: filters.to_vec(),
        transaction_id: id,
        polls,
        pages,
        events,
    })
}
