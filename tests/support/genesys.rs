//! A Genesys Cloud API emulator on loopback: the token endpoint (client credentials, Basic
//! auth), every endpoint the collector reads with the platform's own envelopes and paging
//! (page numbers and `nextUri`, `after` cursors, unpaged lists, `{entities}` only), the users
//! deep-paging limit, rate-limit headers and correlation ids, the realtime audit query; and
//! faults on demand: 429s with and without `Retry-After`, revoked tokens, 5xx bursts, slow
//! pages, short pages, and configuration that changes while it is read.

use super::http::{read_request, Request};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub const CLIENT_ID: &str = "3c1f0a52-emulator-client";
pub const CLIENT_SECRET: &str = "emulator-secret-Zq81xT";

/// Faults to inject. Counters count API calls (not token requests), from 1.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Every Nth API call answers 429.
    pub rate_limit_every: Option<u64>,
    /// The 429s carry `Retry-After: N` (else no header).
    pub retry_after: Option<u64>,
    /// After N API calls every token minted so far is revoked (once): the next call gets 401.
    pub revoke_tokens_after: Option<u64>,
    /// Every Nth API call starts a burst of this many 5xx answers (502, 503, 504 in turn).
    pub server_errors: Option<(u64, u32)>,
    /// The first request for each listing page after the first hangs this long.
    pub slow_pages_ms: Option<u64>,
    /// Listings at this path always answer their first page one item short of the total.
    pub short_always: Option<String>,
    /// The first listing at this path answers its first page one item short, once.
    pub short_once: Option<String>,
    /// While active users are paged the first time, a user is added (the total moves).
    pub add_user_while_paging: bool,
    /// What the realtime audit query reports as the number of changes, call by call (then 0).
    pub recent_changes: Vec<u64>,
    /// A rate-limit window: this many calls per this many ms, then 429 until it resets.
    pub window: Option<(u64, u64)>,
    /// Token lifetime in seconds (default 86399); an expired token gets 401.
    pub token_lifetime: Option<u64>,
    /// Status polls an audit query answers `Running` before `Succeeded` (default 1).
    pub audit_polls: Option<u32>,
    /// The longest audit query interval accepted, in hours (default 31 days).
    pub audit_max_interval_hours: Option<i64>,
    /// Audit queries end `Failed`.
    pub audit_queries_fail: bool,
}

pub(super) struct AuditTx {
    from: time::OffsetDateTime,
    to: time::OffsetDateTime,
    service: Option<String>,
    filters: Vec<(String, String)>,
    polls: u32,
}

/// One answered request.
#[derive(Debug, Clone)]
pub struct Entry {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub at: Instant,
    pub authorization: Option<String>,
}

pub(super) struct State {
    pub(super) resources: BTreeMap<String, Vec<Value>>,
    pub(super) faults: Faults,
    pub(super) calls: u64,
    pub(super) tokens: Vec<(String, bool, Instant)>,
    pub(super) revoked: bool,
    pub(super) burst_left: u32,
    pub(super) burst_kind: u32,
    pub(super) slow_done: HashSet<String>,
    pub(super) short_once_done: bool,
    pub(super) user_added: bool,
    pub(super) window_start: Instant,
    pub(super) window_count: u64,
    pub(super) audit_calls: usize,
    pub(super) audit_events: Vec<Value>,
    pub(super) audit_txs: BTreeMap<String, AuditTx>,
    pub(super) log: Vec<Entry>,
    /// Serving NICE CXone (see `super::cxone`) rather than Genesys Cloud.
    pub(super) cxone: bool,
    /// Injected 429s and 5xx answered per request (method and path with query): at most
    /// two per request, so that a client with a few attempts always gets through and a
    /// test never depends on how concurrent calls happen to interleave.
    pub(super) faulted: std::collections::HashMap<String, u32>,
}

pub(super) struct Answer {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Value,
    pub(super) delay: Option<Duration>,
}

impl Answer {
    pub(super) fn json(status: u16, body: Value) -> Answer {
        Answer { status, headers: Vec::new(), body, delay: None }
    }
    pub(super) fn error(status: u16, code: &str, message: &str) -> Answer {
        Answer::json(status, json!({"message": message, "code": code, "status": status, "contextId": "ctx-emulator"}))
    }
}

pub struct Emulator {
    pub url: String,
    state: Arc<Mutex<State>>,
}

impl Emulator {
    /// Serves `snapshot` (a Genesys snapshot document: its `resources` are the tenant).
    pub fn start(snapshot: &Value, faults: Faults) -> Emulator {
        Self::start_as(snapshot, faults, false)
    }

    /// Serves a NICE CXone tenant (a CXone snapshot document) with the same fault injection:
    /// discovery, both access-key token routes, the ACD admin API, User Hub, authorization
    /// and access-key management (see `super::cxone`).
    pub fn start_cxone(snapshot: &Value, faults: Faults) -> Emulator {
        Self::start_as(snapshot, faults, true)
    }

    fn start_as(snapshot: &Value, faults: Faults, cxone: bool) -> Emulator {
        let resources: BTreeMap<String, Vec<Value>> = serde_json::from_value(snapshot["resources"].clone()).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(Mutex::new(State {
            resources,
            faults,
            calls: 0,
            tokens: Vec::new(),
            revoked: false,
            burst_left: 0,
            burst_kind: 0,
            slow_done: HashSet::new(),
            short_once_done: false,
            user_added: false,
            window_start: Instant::now(),
            window_count: 0,
            audit_calls: 0,
            audit_events: Vec::new(),
            audit_txs: BTreeMap::new(),
            log: Vec::new(),
            cxone,
            faulted: Default::default(),
        }));
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let state = shared.clone();
                std::thread::spawn(move || {
                    let Some(req) = read_request(&mut stream) else { return };
                    let answer = handle(&state, &req);
                    if let Some(d) = answer.delay {
                        std::thread::sleep(d);
                    }
                    let body = serde_json::to_vec(&answer.body).unwrap();
                    let mut head = format!(
                        "HTTP/1.1 {} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
                        answer.status,
                        body.len()
                    );
                    for (k, v) in &answer.headers {
                        head.push_str(&format!("{k}: {v}\r\n"));
                    }
                    head.push_str("\r\n");
                    let _ = stream.write_all(head.as_bytes());
                    let _ = stream.write_all(&body);
                });
            }
        });
        Emulator { url, state }
    }

    /// The tenant as it is now, as a snapshot document.
    pub fn truth(&self, tenant: &str) -> Value {
        let s = self.state.lock().unwrap();
        json!({"format": "driftgate.snapshot/v1",
               "metadata": {"platform": if s.cxone { "nice-cxone" } else { "genesys-cloud" }, "tenant": tenant},
               "resources": s.resources})
    }

    /// Adds audit events (`AuditLogMessage`s) to the tenant's audit trail.
    pub fn add_audit_events(&self, events: Vec<Value>) {
        self.state.lock().unwrap().audit_events.extend(events);
    }

    /// Every audit event the trail holds.
    pub fn audit_events(&self) -> Vec<Value> {
        self.state.lock().unwrap().audit_events.clone()
    }

    /// Every answered request, in order.
    pub fn log(&self) -> Vec<Entry> {
        self.state.lock().unwrap().log.clone()
    }

    /// Tokens minted.
    pub fn tokens_minted(&self) -> usize {
        self.state.lock().unwrap().tokens.len()
    }

    /// Answers with `status` of the log.
    pub fn count(&self, status: u16) -> usize {
        self.log().iter().filter(|e| e.status == status).count()
    }
}

fn handle(state: &Mutex<State>, req: &Request) -> Answer {
    let mut s = state.lock().unwrap();
    let mut answer = route(&mut s, req);
    let correlation = format!("emu-{:08x}", s.log.len());
    answer.headers.push(("ININ-Correlation-Id".into(), correlation));
    s.log.push(Entry {
        method: req.method.clone(),
        path: req.path.clone(),
        status: answer.status,
        at: Instant::now(),
        authorization: req.header("authorization").map(str::to_string),
    });
    answer
}

fn route(s: &mut State, req: &Request) -> Answer {
    let (path, query) = split(&req.path);
    if s.cxone {
        if let Some(a) = super::cxone::unauthenticated(s, req, path, &query) {
            return a;
        }
    } else if path == "/oauth/token" {
        return token(s, req);
    }
    // Authentication first, as the platform does.
    let bearer = req.header("authorization").and_then(|h| h.strip_prefix("Bearer ")).unwrap_or("");
    s.calls += 1;
    let n = s.calls;
    if let Some(after) = s.faults.revoke_tokens_after {
        if n > after && !s.revoked {
            s.revoked = true;
            for t in &mut s.tokens {
                t.1 = false;
            }
        }
    }
    if !s.tokens.iter().any(|(t, valid, expires)| *valid && t == bearer && Instant::now() < *expires) {
        if s.cxone {
            return Answer::json(
                401,
                json!({"error": "invalid_token", "errorDescription": "The access token is invalid or has expired"}),
            );
        }
        return Answer::error(401, "bad.credentials", "Invalid login credentials.");
    }
    // Rate limits and server errors.
    let (allowed, window_ms) = s.faults.window.unwrap_or((100_000, 60_000));
    if s.window_start.elapsed() >= Duration::from_millis(window_ms) {
        s.window_start = Instant::now();
        s.window_count = 0;
    }
    s.window_count += 1;
    let reset = Duration::from_millis(window_ms).saturating_sub(s.window_start.elapsed());
    // Genesys announces its window in headers; CXone publishes no such headers.
    let limit_headers = if s.cxone {
        Vec::new()
    } else {
        vec![
            ("inin-ratelimit-count".to_string(), s.window_count.to_string()),
            ("inin-ratelimit-allowed".to_string(), allowed.to_string()),
            ("inin-ratelimit-reset".to_string(), reset.as_secs_f64().ceil().to_string()),
        ]
    };
    let request = format!("{} {}", req.method, req.path);
    let may_fault = s.faulted.get(&request).copied().unwrap_or(0) < 2;
    let forced_429 = may_fault && s.faults.rate_limit_every.is_some_and(|every| n.is_multiple_of(every));
    if forced_429 {
        *s.faulted.entry(request.clone()).or_default() += 1;
    }
    if forced_429 || s.window_count > allowed {
        let secs = if forced_429 { s.faults.retry_after } else { Some(reset.as_secs_f64().ceil() as u64) };
        let mut a = Answer::error(
            429,
            "too.many.requests",
            &format!("Rate limit exceeded the maximum. Retry the request in [{}] seconds", secs.unwrap_or(3)),
        );
        if let Some(secs) = secs {
            a.headers.push(("Retry-After".into(), secs.to_string()));
        }
        a.headers.extend(limit_headers);
        return a;
    }
    if let Some((every, burst)) = s.faults.server_errors {
        if n.is_multiple_of(every) && s.burst_left == 0 {
            s.burst_left = burst;
        }
    }
    if s.burst_left > 0 && may_fault {
        *s.faulted.entry(request).or_default() += 1;
        s.burst_left -= 1;
        s.burst_kind += 1;
        let status = [502, 503, 504][(s.burst_kind % 3) as usize];
        return Answer::error(status, "service.unavailable", "The service is temporarily unavailable");
    }
    let mut a = if s.cxone {
        super::cxone::api(s, &req.method, path, &query, &req.body)
    } else {
        api(s, &req.method, path, &query, &req.body)
    };
    a.headers.extend(limit_headers);
    a
}

fn token(s: &mut State, req: &Request) -> Answer {
    use base64::Engine;
    let expected =
        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}")));
    if req.method != "POST" || req.header("authorization") != Some(expected.as_str()) {
        return Answer::json(400, json!({"error": "invalid_client", "description": "client not found"}));
    }
    if req.body.trim() != "grant_type=client_credentials" {
        return Answer::json(400, json!({"error": "unsupported_grant_type"}));
    }
    let t = format!("emu-token-{}-{:x}", s.tokens.len() + 1, s.calls.wrapping_mul(2654435761));
    let lifetime = s.faults.token_lifetime.unwrap_or(86399);
    s.tokens.push((t.clone(), true, Instant::now() + Duration::from_secs(lifetime)));
    Answer::json(200, json!({"access_token": t, "token_type": "bearer", "expires_in": lifetime}))
}

pub(super) fn split(full: &str) -> (&str, Vec<(String, String)>) {
    let (path, q) = full.split_once('?').unwrap_or((full, ""));
    let query = q
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect();
    (path, query)
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(if b[i] == b'+' { b' ' } else { b[i] });
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

pub(super) fn param<'a>(q: &'a [(String, String)], k: &str) -> Option<&'a str> {
    q.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
}

/// Numbered listings: path → (resource type, max page size).
const NUMBERED: &[(&str, &str, usize)] = &[
    ("/api/v2/users", "users", 500),
    ("/api/v2/authorization/roles", "roles", 500),
    ("/api/v2/groups", "groups", 500),
    ("/api/v2/routing/queues", "queues", 500),
    ("/api/v2/routing/skills", "skills", 500),
    ("/api/v2/telephony/providers/edges/trunks", "trunks", 500),
    ("/api/v2/telephony/providers/edges/trunkbasesettings", "trunk_base_settings", 500),
    ("/api/v2/telephony/providers/edges/sites", "sites", 500),
    ("/api/v2/integrations", "integrations", 500),
    ("/api/v2/orgauthorization/trustees", "trustees", 100),
    ("/api/v2/recording/mediaretentionpolicies", "media_retention_policies", 100),
    ("/api/v2/flows", "flows", 100),
];

fn api(s: &mut State, method: &str, path: &str, q: &[(String, String)], body: &str) -> Answer {
    match (method, path) {
        ("GET", "/api/v2/organizations/me") => Answer::json(200, s.resources["organization"][0].clone()),
        ("GET", "/api/v2/organizations/authentication/settings") => {
            Answer::json(200, s.resources["authentication_settings"][0].clone())
        }
        ("GET", "/api/v2/authorization/divisions/query") => divisions(s, q),
        ("GET", "/api/v2/oauth/clients") | ("GET", "/api/v2/identityproviders") => {
            if !q.is_empty() {
                return Answer::error(400, "bad.request", "this endpoint takes no query parameters");
            }
            let rtype = if path.ends_with("clients") { "oauth_clients" } else { "identity_providers" };
            let items = s.resources[rtype].clone();
            let total = items.len();
            Answer::json(
                200,
                json!({"entities": items, "pageSize": total, "pageNumber": 1, "total": total, "pageCount": 1,
                       "selfUri": path, "firstUri": path, "lastUri": path}),
            )
        }
        ("GET", "/api/v2/workforcemanagement/businessunits") => {
            Answer::json(200, json!({"entities": s.resources["wfm_business_units"]}))
        }
        ("GET", p)
            if p.starts_with("/api/v2/workforcemanagement/businessunits/") && p.ends_with("/managementunits") =>
        {
            let bu = &p["/api/v2/workforcemanagement/businessunits/".len()..p.len() - "/managementunits".len()];
            if !s.resources["wfm_business_units"].iter().any(|b| b["id"] == bu) {
                return Answer::error(404, "not.found", "business unit not found");
            }
            let mus: Vec<Value> =
                s.resources["wfm_management_units"].iter().filter(|m| m["businessUnit"]["id"] == bu).cloned().collect();
            Answer::json(200, json!({"entities": mus}))
        }
        ("POST", "/api/v2/audits/query/realtime") => {
            let b: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            if b["interval"].as_str().is_none_or(|i| !i.contains('/')) {
                return Answer::error(400, "bad.request", "interval is required");
            }
            let changes = s.faults.recent_changes.get(s.audit_calls).copied().unwrap_or(0);
            s.audit_calls += 1;
            let entities: Vec<Value> = (0..changes.min(1))
                .map(|i| json!({"id": format!("audit-{i}"), "serviceName": "Routing", "action": "Update", "entityType": "Queue"}))
                .collect();
            Answer::json(
                200,
                json!({"entities": entities, "pageSize": 1, "pageNumber": 1, "total": changes, "pageCount": changes}),
            )
        }
        ("POST", "/api/v2/audits/query") => audit_query(s, body),
        ("GET", p) if p.starts_with("/api/v2/audits/query/") => audit_get(s, &p["/api/v2/audits/query/".len()..], q),
        ("GET", p) if single(p).is_some() => {
            let (rtype, id) = single(p).unwrap();
            if rtype == "subjects" {
                return subject(s, id);
            }
            match s.resources[rtype].iter().find(|x| x["id"] == id) {
                Some(v) => Answer::json(200, v.clone()),
                None => Answer::error(404, "not.found", &format!("{rtype} {id} not found")),
            }
        }
        ("GET", p) if p.starts_with("/api/v2/orgauthorization/trustees/") => trustee_sub(s, p, q),
        ("GET", _) => match NUMBERED.iter().find(|(p, _, _)| *p == path) {
            Some((_, rtype, max)) => numbered(s, path, rtype, *max, q),
            None => Answer::error(404, "not.found", &format!("no such endpoint: {path}")),
        },
        _ => Answer::error(405, "method.not.allowed", "method not allowed"),
    }
}

/// `/api/v2/orgauthorization/trustees/{id}/users` (numbered pages of the trust's users) and
/// `/api/v2/orgauthorization/trustees/{id}/users/{uid}/roles` (the user's roles), from the
/// example's `trustee_users`.
fn trustee_sub(s: &State, path: &str, q: &[(String, String)]) -> Answer {
    let rest: Vec<&str> = path["/api/v2/orgauthorization/trustees/".len()..].split('/').collect();
    let Some(trust) = s.resources["trustees"].iter().find(|t| t["id"] == rest[0]) else {
        return Answer::error(404, "not.found", "trust not found");
    };
    let users: Vec<Value> = trust["trustee_users"].as_array().cloned().unwrap_or_default();
    match rest.as_slice() {
        [_, "users"] => {
            let size: usize = param(q, "pageSize").and_then(|v| v.parse().ok()).unwrap_or(25);
            let page: usize = param(q, "pageNumber").and_then(|v| v.parse().ok()).unwrap_or(1);
            if !(1..=100).contains(&size) || page == 0 {
                return Answer::error(400, "bad.request", "pageSize must be 1..100, pageNumber 1 or more");
            }
            let total = users.len();
            let entities: Vec<Value> = users
                .iter()
                .skip((page - 1) * size)
                .take(size)
                .map(|u| json!({"id": u["id"], "name": u["name"], "state": u["state"], "version": 1}))
                .collect();
            let mut env = json!({"entities": entities, "pageSize": size, "pageNumber": page, "total": total,
                                 "pageCount": total.div_ceil(size), "selfUri": path});
            if page * size < total {
                env["nextUri"] = json!(format!("{path}?pageSize={size}&pageNumber={}", page + 1));
            }
            Answer::json(200, env)
        }
        [_, "users", uid, "roles"] => match users.iter().find(|u| u["id"] == *uid) {
            Some(u) => Answer::json(200, json!({"roles": u["roles"], "permissions": [], "unusedRoles": []})),
            None => Answer::error(404, "not.found", "trustee user not found"),
        },
        _ => Answer::error(404, "not.found", &format!("no such endpoint: {path}")),
    }
}

fn numbered(s: &mut State, path: &str, rtype: &str, max: usize, q: &[(String, String)]) -> Answer {
    let size: usize = match param(q, "pageSize").map(str::parse) {
        None => 25,
        Some(Ok(n)) if (1..=max).contains(&n) => n,
        _ => return Answer::error(400, "bad.request", &format!("pageSize must be 1..{max}")),
    };
    let page: usize = match param(q, "pageNumber").map(str::parse) {
        None => 1,
        Some(Ok(n)) if n >= 1 => n,
        _ => return Answer::error(400, "bad.request", "pageNumber must be 1 or more"),
    };
    let mut items: Vec<Value> = s.resources[rtype].clone();
    if rtype == "users" {
        let state = param(q, "state").unwrap_or("active");
        if state != "any" && !["active", "inactive", "deleted"].contains(&state) {
            return Answer::error(400, "bad.request", "state must be active, inactive, deleted or any");
        }
        if state != "active" && page * size > 10_000 {
            return Answer::error(400, "bad.request", "The requested page exceeds the 10000 result paging limit");
        }
        if state == "active" && page == 2 && s.faults.add_user_while_paging && !s.user_added {
            s.user_added = true;
            let mut u = items[0].clone();
            u["id"] = json!("00000000-added-while-paging");
            u["name"] = json!("Aaron Added-While-Paging");
            u["state"] = json!("active");
            s.resources.get_mut("users").unwrap().push(u.clone());
            items.push(u);
        }
        items.retain(|u| state == "any" || u["state"] == state);
        let expand: Vec<&str> = q.iter().filter(|(k, _)| k == "expand").map(|(_, v)| v.as_str()).collect();
        if !expand.contains(&"authorization") {
            for u in &mut items {
                if let Some(o) = u.as_object_mut() {
                    o.remove("authorization");
                }
            }
        }
        items.sort_by(|a, b| (a["name"].as_str(), a["id"].as_str()).cmp(&(b["name"].as_str(), b["id"].as_str())));
        if param(q, "sortOrder") == Some("descending") {
            items.reverse();
        }
    } else {
        items.sort_by(|a, b| (a["name"].as_str(), a["id"].as_str()).cmp(&(b["name"].as_str(), b["id"].as_str())));
    }
    if rtype == "trustees" {
        // A trust's users and their roles are their own endpoints (trustee_sub).
        for t in &mut items {
            if let Some(o) = t.as_object_mut() {
                o.remove("trustee_users");
            }
        }
    }
    if rtype == "trunk_base_settings" && param(q, "expand") != Some("properties") {
        for t in &mut items {
            if let Some(o) = t.as_object_mut() {
                o.remove("properties");
            }
        }
    }
    let total = items.len();
    let page_count = total.div_ceil(size);
    let mut entities: Vec<Value> = items.into_iter().skip((page - 1) * size).take(size).collect();
    let is_short = |p: &Option<String>| p.as_deref() == Some(path);
    let short = is_short(&s.faults.short_always) || (is_short(&s.faults.short_once) && !s.short_once_done);
    if page == 1 && !entities.is_empty() && short {
        s.short_once_done = true;
        entities.pop();
    }
    let uri = |p: usize| {
        let mut parts: Vec<String> =
            q.iter().filter(|(k, _)| k != "pageNumber").map(|(k, v)| format!("{k}={v}")).collect();
        parts.push(format!("pageNumber={p}"));
        format!("{path}?{}", parts.join("&"))
    };
    let mut env = json!({
        "entities": entities, "pageSize": size, "pageNumber": page, "total": total, "pageCount": page_count,
        "firstUri": uri(1), "selfUri": uri(page), "lastUri": uri(page_count.max(1)),
    });
    if page < page_count {
        env["nextUri"] = json!(uri(page + 1));
    }
    if page > 1 {
        env["previousUri"] = json!(uri(page - 1));
    }
    let mut a = Answer::json(200, env);
    if page > 1 {
        if let Some(ms) = s.faults.slow_pages_ms {
            let key = format!("{path}?{q:?}");
            if s.slow_done.insert(key) {
                a.delay = Some(Duration::from_millis(ms));
            }
        }
    }
    a
}

fn divisions(s: &mut State, q: &[(String, String)]) -> Answer {
    let size: usize = match param(q, "pageSize").map(str::parse) {
        None => 25,
        Some(Ok(n)) if (1..=200).contains(&n) => n,
        _ => return Answer::error(400, "bad.request", "pageSize must be 1..200"),
    };
    let start: usize = match param(q, "after") {
        None => 0,
        Some(c) => match c.strip_prefix("cur-").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return Answer::error(400, "bad.request", "invalid cursor"),
        },
    };
    let mut items = s.resources["divisions"].clone();
    items.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    let end = (start + size).min(items.len());
    let entities: Vec<Value> = items[start.min(end)..end].to_vec();
    let base = "/api/v2/authorization/divisions/query";
    let mut env = json!({"entities": entities, "selfUri": format!("{base}?pageSize={size}")});
    if end < items.len() {
        env["nextUri"] = json!(format!("{base}?pageSize={size}&after=cur-{end}"));
    }
    Answer::json(200, env)
}

fn rfc3339(s: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
}

fn audit_query(s: &mut State, body: &str) -> Answer {
    let b: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let Some((from, to)) = b["interval"].as_str().and_then(|i| i.split_once('/')) else {
        return Answer::error(400, "bad.request", "interval is required");
    };
    let (Some(from), Some(to)) = (rfc3339(from), rfc3339(to)) else {
        return Answer::error(400, "bad.request", "interval must be two ISO-8601 instants");
    };
    let max = s.faults.audit_max_interval_hours.unwrap_or(31 * 24);
    if to <= from || (to - from).whole_hours() > max {
        return Answer::error(400, "bad.request", &format!("the interval may span at most {max} hours"));
    }
    let filters = b["filters"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|f| {
                    (f["property"].as_str().unwrap_or("").to_string(), f["value"].as_str().unwrap_or("").to_string())
                })
                .collect()
        })
        .unwrap_or_default();
    let id = format!("tx-{:04}", s.audit_txs.len() + 1);
    let service = b["serviceName"].as_str().map(str::to_string);
    s.audit_txs.insert(id.clone(), AuditTx { from, to, service: service.clone(), filters, polls: 0 });
    Answer::json(
        202,
        json!({"id": id, "state": "Queued", "startDate": "2026-11-22T00:00:00Z", "interval": b["interval"],
               "serviceName": service, "filters": b["filters"], "sort": b["sort"]}),
    )
}

fn audit_get(s: &mut State, rest: &str, q: &[(String, String)]) -> Answer {
    let (id, results) = match rest.strip_suffix("/results") {
        Some(id) => (id, true),
        None => (rest, false),
    };
    let polls_needed = s.faults.audit_polls.unwrap_or(1);
    let fail = s.faults.audit_queries_fail;
    let Some(tx) = s.audit_txs.get_mut(id) else {
        return Answer::error(404, "not.found", "no such audit query");
    };
    if !results {
        tx.polls += 1;
        let state = if fail {
            "Failed"
        } else if tx.polls > polls_needed {
            "Succeeded"
        } else {
            "Running"
        };
        return Answer::json(200, json!({"id": id, "state": state}));
    }
    if fail || tx.polls <= polls_needed {
        return Answer::error(400, "bad.request", "the query has not succeeded");
    }
    let size: usize = match param(q, "pageSize").map(str::parse) {
        None => 25,
        Some(Ok(n)) if (1..=500).contains(&n) => n,
        _ => return Answer::error(400, "bad.request", "pageSize must be 1..500"),
    };
    let start: usize = match param(q, "cursor") {
        None => 0,
        Some(c) => match c.strip_prefix("cur-").and_then(|n| n.parse().ok()) {
            Some(n) => n,
            None => return Answer::error(400, "bad.request", "invalid cursor"),
        },
    };
    let (from, to, service, filters) = (tx.from, tx.to, tx.service.clone(), tx.filters.clone());
    let mut matching: Vec<&Value> = s
        .audit_events
        .iter()
        .filter(|e| e["eventDate"].as_str().and_then(rfc3339).is_some_and(|d| d >= from && d < to))
        .filter(|e| service.as_deref().is_none_or(|sv| e["serviceName"] == sv))
        .filter(|e| {
            filters.iter().all(|(p, v)| match p.as_str() {
                "UserId" => e["user"]["id"] == v.as_str(),
                "ClientId" => e["client"]["id"] == v.as_str(),
                "EntityId" => e["entity"]["id"] == v.as_str(),
                "EntityType" => e["entityType"] == v.as_str(),
                "Action" => e["action"] == v.as_str(),
                _ => false,
            })
        })
        .collect();
    matching
        .sort_by(|a, b| (a["eventDate"].as_str(), a["id"].as_str()).cmp(&(b["eventDate"].as_str(), b["id"].as_str())));
    let end = (start + size).min(matching.len());
    let entities: Vec<Value> = matching[start.min(end)..end].iter().map(|v| (*v).clone()).collect();
    let mut page = json!({"id": id, "pageSize": size, "entities": entities});
    if end < matching.len() {
        page["cursor"] = json!(format!("cur-{end}"));
    }
    Answer::json(200, page)
}

/// `GET` of one object by id: (resource type, id).
fn single(path: &str) -> Option<(&'static str, &str)> {
    for (prefix, rtype) in [
        ("/api/v2/users/", "users"),
        ("/api/v2/authorization/roles/", "roles"),
        ("/api/v2/oauth/clients/", "oauth_clients"),
        ("/api/v2/authorization/subjects/", "subjects"),
    ] {
        if let Some(id) = path.strip_prefix(prefix) {
            if !id.is_empty() && !id.contains('/') {
                return Some((rtype, id));
            }
        }
    }
    None
}

/// `GET /api/v2/authorization/subjects/{id}`: a user's grants (role × division).
fn subject(s: &State, id: &str) -> Answer {
    let Some(user) = s.resources["users"].iter().find(|u| u["id"] == id) else {
        return Answer::error(404, "not.found", "subject not found");
    };
    let grants: Vec<Value> = user["authorization"]["roles"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|r| {
            let role = s.resources["roles"].iter().find(|x| x["id"] == r["id"]).cloned().unwrap_or(r.clone());
            json!({"subjectId": id, "division": user["division"], "grantMadeAt": "2026-01-05T10:00:00Z",
                   "role": {"id": role["id"], "name": role["name"], "description": role["description"], "default": role["default"]}})
        })
        .collect();
    Answer::json(
        200,
        json!({"id": id, "name": user["name"], "grants": grants, "version": 3,
                             "selfUri": format!("/api/v2/authorization/subjects/{id}")}),
    )
}
