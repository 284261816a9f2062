//! The emulator's NICE CXone mode: host discovery (`/.well-known/cxone-configuration`), both
//! access-key token routes (the OIDC `/auth/token` with a registered application, and
//! `/authentication/v1/token/access-key`), the ACD admin API under
//! `/incontactapi/services/vNN.0/` with `skip`/`top` paging (`totalRecords` where the API
//! reports it, `resultSet` wrapping where it wraps, `{businessUnits: [...]}` for the business
//! unit), User Hub and role searches (paging in the POST body), and access-key management.
//! Authentication, 429s, 5xx bursts, revoked and expiring tokens are the shared machinery of
//! `super::genesys`; slow, short and moving pages are applied here.

use super::genesys::{param, Answer, State};
use super::http::Request;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

pub const TENANT_ID: &str = "11eb5f3a-0c1d-4e2f-9a8b-7c6d5e4f3a2b";
pub const ACCESS_KEY_ID: &str = "AKGLOBEX0COLLECTOR01";
pub const ACCESS_KEY_SECRET: &str = "emulator-access-key-secret-9Qx";
/// A registered application (for the OIDC token route).
pub const APP_CLIENT_ID: &str = "globex-evidence@globex.example";
pub const APP_CLIENT_SECRET: &str = "app secret/with+reserved=chars";

/// The largest `top` the emulator accepts (CXone's is not published; 100 is what clients use).
pub const MAX_TOP: usize = 100;

/// The ACD API versions the emulator serves.
const VERSIONS: std::ops::RangeInclusive<u32> = 26..=34;

/// Discovery and tokens: the routes that need no bearer token.
pub(super) fn unauthenticated(s: &mut State, req: &Request, path: &str, q: &[(String, String)]) -> Option<Answer> {
    match (req.method.as_str(), path) {
        ("GET", "/.well-known/cxone-configuration") => {
            if param(q, "tenantId") != Some(TENANT_ID) {
                return Some(Answer::json(404, json!({"error": "tenant_not_found"})));
            }
            let me = format!("http://{}", req.header("host").unwrap_or("127.0.0.1"));
            Some(Answer::json(
                200,
                json!({"private": false, "ui_endpoint": me, "auth_endpoint": me, "api_endpoint": me,
                       "area": "na1", "cluster": "B32", "domain": "niceincontact.com",
                       "acdDomain": "niceincontact.com", "uhDomain": "niceincontact.com",
                       "tenantId": TENANT_ID, "globaldomain": "niceincontact.com"}),
            ))
        }
        ("POST", "/auth/token") => Some(oidc_token(s, req)),
        ("POST", "/authentication/v1/token/access-key") => Some(access_key_token(s, req)),
        _ => None,
    }
}

fn oidc_token(s: &mut State, req: &Request) -> Answer {
    use base64::Engine;
    // base64(urlenc(client_id):urlenc(client_secret)), as the CXone docs ask.
    let urlenc = |v: &str| form_urlencoded::byte_serialize(v.as_bytes()).collect::<String>();
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            urlenc(APP_CLIENT_ID),
            urlenc(APP_CLIENT_SECRET)
        ))
    );
    if req.header("authorization") != Some(expected.as_str()) {
        return Answer::json(
            401,
            json!({"error": "invalid_client", "error_description": "client authentication failed"}),
        );
    }
    let (_, form) = super::genesys::split(&format!("?{}", req.body.trim()));
    if param(&form, "grant_type") != Some("password") {
        return Answer::json(400, json!({"error": "unsupported_grant_type"}));
    }
    if param(&form, "username") != Some(ACCESS_KEY_ID) || param(&form, "password") != Some(ACCESS_KEY_SECRET) {
        return Answer::json(400, json!({"error": "invalid_grant", "error_description": "invalid access key"}));
    }
    mint(s)
}

fn access_key_token(s: &mut State, req: &Request) -> Answer {
    let b: Value = serde_json::from_str(&req.body).unwrap_or(Value::Null);
    if b["accessKeyId"] != ACCESS_KEY_ID || b["accessKeySecret"] != ACCESS_KEY_SECRET {
        return Answer::json(401, json!({"error": "invalid_grant", "errorDescription": "invalid access key"}));
    }
    mint(s)
}

fn mint(s: &mut State) -> Answer {
    let t = format!("cx-token-{}-{:x}", s.tokens.len() + 1, s.calls.wrapping_mul(2654435761));
    let lifetime = s.faults.token_lifetime.unwrap_or(3600);
    s.tokens.push((t.clone(), true, Instant::now() + Duration::from_secs(lifetime)));
    Answer::json(
        200,
        json!({"access_token": t, "token_type": "Bearer", "expires_in": lifetime,
               "refresh_token": "cx-refresh", "id_token": "header.claims.signature",
               "issued_token_type": "urn:ietf:params:oauth:token-type:access_token"}),
    )
}

/// How a listing answers.
struct Listing {
    rtype: &'static str,
    key: &'static str,
    /// Whether the answer carries `totalRecords`.
    total: bool,
    /// Whether the answer is wrapped in `resultSet`.
    wrapped: bool,
}

pub(super) fn api(s: &mut State, method: &str, path: &str, q: &[(String, String)], body: &str) -> Answer {
    if let Some(rest) = acd_path(path) {
        let Some(rest) = rest else {
            return Answer::json(404, json!({"error": "NotFound", "errorDescription": "unknown API version"}));
        };
        if method != "GET" {
            return Answer::json(405, json!({"error": "MethodNotAllowed"}));
        }
        let listing = match rest {
            "/business-unit" => {
                return Answer::json(200, json!({"businessUnits": s.resources["business_unit"].clone()}));
            }
            "/agents" => Listing { rtype: "agents", key: "agents", total: true, wrapped: false },
            "/security-profiles" => {
                Listing { rtype: "security_profiles", key: "profiles", total: false, wrapped: false }
            }
            "/teams" => Listing { rtype: "teams", key: "teams", total: true, wrapped: true },
            "/skills" => Listing { rtype: "skills", key: "skills", total: true, wrapped: false },
            "/points-of-contact" => {
                Listing { rtype: "points_of_contact", key: "pointsOfContact", total: false, wrapped: false }
            }
            _ => {
                return Answer::json(
                    404,
                    json!({"error": "NotFound", "errorDescription": "No known way to render data"}),
                )
            }
        };
        return match paging(param(q, "skip"), param(q, "top")) {
            Ok((skip, top)) => page(s, path, &listing, skip, top),
            Err(a) => a,
        };
    }
    match (method, path) {
        ("GET", "/access-key-management/v1/access-keys") => match paging(param(q, "skip"), param(q, "top")) {
            Ok((skip, top)) => {
                let l = Listing { rtype: "access_keys", key: "accessKeys", total: true, wrapped: false };
                page(s, path, &l, skip, top)
            }
            Err(a) => a,
        },
        ("POST", "/user-management/v2/users/search") | ("POST", "/authorization/v1/roles/search") => {
            let b: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            let text = |k: &str| b.get(k).map(|v| v.to_string());
            let (skip, top) = match paging(text("skip").as_deref(), text("top").as_deref()) {
                Ok(p) => p,
                Err(a) => return a,
            };
            let l = if path.starts_with("/user-management") {
                Listing { rtype: "users", key: "users", total: true, wrapped: false }
            } else {
                Listing { rtype: "roles", key: "roles", total: false, wrapped: false }
            };
            let mut a = page(s, path, &l, skip, top);
            if l.rtype == "users" {
                a.body["skip"] = json!(skip);
                a.body["top"] = json!(top);
            }
            a
        }
        _ => Answer::json(
            404,
            json!({"timestamp": "2026-11-30T00:00:00Z", "status": 404, "error": "Not Found", "path": path}),
        ),
    }
}

/// `Some(Some(rest))` for an ACD path of a served version, `Some(None)` for an ACD path of
/// another version, `None` for anything else. The prefix is case-insensitive, as CXone's is.
fn acd_path(path: &str) -> Option<Option<&str>> {
    let prefix = "/incontactapi/services/v";
    if path.len() < prefix.len() || !path[..prefix.len()].eq_ignore_ascii_case(prefix) {
        return None;
    }
    let rest = &path[prefix.len()..];
    let (version, rest) = rest.split_at(rest.find('/')?);
    let major = version.strip_suffix(".0").and_then(|v| v.parse::<u32>().ok());
    Some(major.filter(|m| VERSIONS.contains(m)).map(|_| rest))
}

fn paging(skip: Option<&str>, top: Option<&str>) -> Result<(usize, usize), Answer> {
    let skip = match skip.map(str::parse::<usize>) {
        None => 0,
        Some(Ok(n)) => n,
        Some(Err(_)) => return Err(Answer::json(400, json!({"error": "BadRequest", "errorDescription": "skip"}))),
    };
    let top = match top.map(str::parse::<usize>) {
        None => 50,
        Some(Ok(n)) if (1..=MAX_TOP).contains(&n) => n,
        _ => {
            return Err(Answer::json(
                400,
                json!({"error": "BadRequest", "errorDescription": format!("top must be 1..{MAX_TOP}")}),
            ))
        }
    };
    Ok((skip, top))
}

fn page(s: &mut State, path: &str, l: &Listing, skip: usize, top: usize) -> Answer {
    if l.rtype == "agents" && skip > 0 && s.faults.add_user_while_paging && !s.user_added {
        // A new hire while the agents are read: the total moves between pages.
        s.user_added = true;
        let agents = s.resources.get_mut("agents").unwrap();
        let mut a = agents[0].clone();
        a["agentId"] = json!(39999);
        a["userName"] = json!("added.while.paging@globex.example");
        agents.push(a);
    }
    let mut items = s.resources.get(l.rtype).cloned().unwrap_or_default();
    let total = items.len();
    // A short listing hides an item it still counts in totalRecords: on every page (always),
    // or on the first page once (the pages then overlap by one item).
    let is_short = |p: &Option<String>| p.as_deref() == Some(path);
    let once = is_short(&s.faults.short_once) && !s.short_once_done && skip == 0;
    if !items.is_empty() && (is_short(&s.faults.short_always) || once) {
        s.short_once_done |= once;
        items.remove(0);
    }
    let chunk: Vec<Value> = items.into_iter().skip(skip).take(top).collect();
    let mut links = json!({"self": format!("{path}?skip={skip}&top={top}")});
    if skip + top < total {
        links["next"] = json!(format!("{path}?skip={}&top={top}", skip + top));
    }
    if skip > 0 {
        links["previous"] = json!(format!("{path}?skip={}&top={top}", skip.saturating_sub(top)));
    }
    let mut inner = json!({ l.key: chunk });
    if l.total {
        inner["totalRecords"] = json!(total);
    }
    let mut body = if l.wrapped { json!({"resultSet": inner}) } else { inner };
    body["_links"] = links;
    body["lastPollTime"] = json!("2026-11-30T08:00:00.000Z");
    if path.contains("/incontactapi/") {
        body["businessUnitId"] = json!(4600123);
    }
    let mut a = Answer::json(200, body);
    if skip > 0 {
        if let Some(ms) = s.faults.slow_pages_ms {
            if s.slow_done.insert(format!("{path}?skip={skip}")) {
                a.delay = Some(Duration::from_millis(ms));
            }
        }
    }
    a
}
