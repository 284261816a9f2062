//! Genesys Cloud: every resource type of the snapshot contract from its real endpoint with
//! its own paging (page number and `nextUri`, `after` cursors, or none), users per state with
//! `expand=authorization`, completeness checked against each listing's `total`.

use super::api::ApiClient;
use super::{Attempt, CollectOptions, EndpointRecord, TypeCollection};
use crate::error::{Error, Result};
use serde_json::{json, Value};
use std::collections::HashSet;

/// How an endpoint pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Paging {
    /// One object, not a listing.
    Single,
    /// `pageNumber`/`pageSize`, `total`, `nextUri` (the standard `*EntityListing`).
    Numbered(u32),
    /// `after` cursors through `nextUri`; no total.
    Cursor(u32),
    /// The whole list in one call (standard envelope, no parameters).
    Unpaged,
    /// `{entities}` only.
    EntitiesOnly,
}

/// One resource type's source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoint {
    pub rtype: &'static str,
    pub path: &'static str,
    pub query: &'static [(&'static str, &'static str)],
    pub paging: Paging,
}

/// The endpoints (paths from the public API v2; page sizes as the Terraform provider uses).
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint { rtype: "organization", path: "/api/v2/organizations/me", query: &[], paging: Paging::Single },
    Endpoint {
        rtype: "authentication_settings",
        path: "/api/v2/organizations/authentication/settings",
        query: &[],
        paging: Paging::Single,
    },
    Endpoint {
        rtype: "divisions",
        path: "/api/v2/authorization/divisions/query",
        query: &[],
        paging: Paging::Cursor(200),
    },
    Endpoint {
        rtype: "users",
        path: "/api/v2/users",
        query: &[("expand", "authorization")],
        paging: Paging::Numbered(500),
    },
    Endpoint { rtype: "roles", path: "/api/v2/authorization/roles", query: &[], paging: Paging::Numbered(100) },
    Endpoint { rtype: "groups", path: "/api/v2/groups", query: &[], paging: Paging::Numbered(500) },
    Endpoint { rtype: "queues", path: "/api/v2/routing/queues", query: &[], paging: Paging::Numbered(500) },
    Endpoint { rtype: "skills", path: "/api/v2/routing/skills", query: &[], paging: Paging::Numbered(500) },
    Endpoint {
        rtype: "trunks",
        path: "/api/v2/telephony/providers/edges/trunks",
        query: &[],
        paging: Paging::Numbered(100),
    },
    Endpoint {
        rtype: "trunk_base_settings",
        path: "/api/v2/telephony/providers/edges/trunkbasesettings",
        query: &[("expand", "properties")],
        paging: Paging::Numbered(100),
    },
    Endpoint {
        rtype: "sites",
        path: "/api/v2/telephony/providers/edges/sites",
        query: &[],
        paging: Paging::Numbered(100),
    },
    Endpoint { rtype: "oauth_clients", path: "/api/v2/oauth/clients", query: &[], paging: Paging::Unpaged },
    Endpoint { rtype: "identity_providers", path: "/api/v2/identityproviders", query: &[], paging: Paging::Unpaged },
    Endpoint { rtype: "integrations", path: "/api/v2/integrations", query: &[], paging: Paging::Numbered(100) },
    Endpoint {
        rtype: "wfm_business_units",
        path: "/api/v2/workforcemanagement/businessunits",
        query: &[],
        paging: Paging::EntitiesOnly,
    },
    Endpoint {
        rtype: "wfm_management_units",
        path: "/api/v2/workforcemanagement/businessunits/{buId}/managementunits",
        query: &[],
        paging: Paging::EntitiesOnly,
    },
    // [V] GET /api/v2/orgauthorization/trustees (permission authorization:orgTrustee:view):
    // pageSize (default 25) and pageNumber, a TrustEntityListing of Trustee {id, enabled,
    // usesDefaultRole, hasFullAccess, isTrustedUser, dateCreated, dateExpired, createdBy,
    // organization}, per the platform SDKs' documentation. [?] The largest page size is not
    // documented; 100 is assumed, as for most numbered listings.
    Endpoint {
        rtype: "trustees",
        path: "/api/v2/orgauthorization/trustees",
        query: &[],
        paging: Paging::Numbered(100),
    },
    // [V] GET /api/v2/recording/mediaretentionpolicies (permission
    // recording:retentionPolicy:view): pageSize (default 25), pageNumber, a
    // PolicyEntityListing of Policy {id, name, order, enabled, conditions, actions,
    // mediaPolicies{callPolicy, chatPolicy, emailPolicy, messagePolicy}}, each PolicyActions
    // {retainRecording, deleteRecording, alwaysDelete, retentionDuration{archiveRetention{days,
    // storageMedium}, deleteRetention{days}}}. [?] Largest page size assumed 100.
    Endpoint {
        rtype: "media_retention_policies",
        path: "/api/v2/recording/mediaretentionpolicies",
        query: &[],
        paging: Paging::Numbered(100),
    },
    // [V] GET /api/v2/flows (Architect): the standard numbered envelope of Flow {id, name,
    // division, type, active, system, deleted, publishedVersion{id, name, ...},
    // savedVersion, checkedInVersion, lockedUser, publishedBy, currentOperation}. [?] Largest
    // page size assumed 100.
    Endpoint { rtype: "flows", path: "/api/v2/flows", query: &[], paging: Paging::Numbered(100) },
];

/// Users are listed per state: `state=any` would mix states whose deep-paging limits differ.
const USER_STATES: &[&str] = &["active", "inactive", "deleted"];

/// `GET /api/v2/users?state=inactive` (and deleted) answers 400 past 10,000 results.
const DEEP_PAGING_LIMIT: u64 = 10_000;

fn query_string(pairs: &[(String, String)]) -> String {
    let mut ser = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        ser.push(if i == 0 { '?' } else { '&' });
        ser.push_str(&format!("{}={}", urlencode(k), urlencode(v)));
    }
    ser
}

/// Percent-encodes a query component.
pub(crate) fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Collects one type, retrying a listing that changed underneath.
pub(crate) fn collect_type(api: &ApiClient, ep: &Endpoint, _opts: &CollectOptions) -> Result<TypeCollection> {
    super::read_again(ep.rtype, "total", || attempt(api, ep))
}

fn attempt(api: &ApiClient, ep: &Endpoint) -> std::result::Result<TypeCollection, Attempt> {
    let mut out = TypeCollection { items: Vec::new(), endpoints: Vec::new() };
    match ep.rtype {
        "users" => {
            for state in USER_STATES {
                let mut q: Vec<(String, String)> =
                    ep.query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
                q.push(("state".into(), state.to_string()));
                numbered(api, ep, q, &mut out, *state != "active")?;
            }
        }
        "trustees" => {
            numbered(api, ep, Vec::new(), &mut out, false)?;
            let mut records = Vec::new();
            for t in out.items.iter_mut() {
                trustee_users(api, t, &mut records)?;
            }
            out.endpoints.extend(records);
        }
        "wfm_management_units" => {
            let bus = entities_only(api, "/api/v2/workforcemanagement/businessunits", &mut out)?;
            out.items.clear();
            out.endpoints.clear();
            for bu in bus {
                let id = bu["id"].as_str().ok_or_else(|| Attempt::Failed("a business unit has no id".into()))?;
                let path = ep.path.replace("{buId}", &urlencode(id));
                entities_only(api, &path, &mut out)?;
            }
        }
        _ => match ep.paging {
            Paging::Single => {
                let v = api.call("GET", ep.path, None)?;
                out.endpoints.push(EndpointRecord::new("GET", ep.path, vec![], 1, 1));
                out.items.push(v);
            }
            Paging::Numbered(_) => numbered(
                api,
                ep,
                ep.query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
                &mut out,
                false,
            )?,
            Paging::Cursor(size) => cursor(api, ep, size, &mut out)?,
            Paging::Unpaged => {
                let v = api.call("GET", ep.path, None)?;
                let items = v["entities"].as_array().cloned().unwrap_or_default();
                if let Some(total) = v["total"].as_u64() {
                    if total != items.len() as u64 {
                        return Err(Attempt::Short { collected: items.len(), total });
                    }
                }
                out.endpoints.push(EndpointRecord::new("GET", ep.path, vec![], 1, items.len()));
                out.items.extend(items);
            }
            Paging::EntitiesOnly => {
                entities_only(api, ep.path, &mut out)?;
            }
        },
    }
    let mut seen = HashSet::new();
    for item in &out.items {
        if let Some(id) = item["id"].as_str() {
            if !seen.insert(id.to_string()) {
                return Err(Attempt::Inconsistent(format!("{} {id} was listed twice", ep.rtype)));
            }
        }
    }
    Ok(out)
}

fn numbered(
    api: &ApiClient,
    ep: &Endpoint,
    query: Vec<(String, String)>,
    out: &mut TypeCollection,
    deep_limited: bool,
) -> std::result::Result<(), Attempt> {
    let Paging::Numbered(size) = ep.paging else { return Err(Attempt::Failed("not a numbered listing".into())) };
    let mut q = query.clone();
    if deep_limited {
        q.push(("sortOrder".into(), "ascending".into()));
    }
    let limit = if deep_limited { DEEP_PAGING_LIMIT } else { u64::MAX };
    let first = pages(api, (ep.rtype, ep.path), &q, size, None, limit)?;
    let (total, mut items, mut page_count) = (first.total, first.items, first.pages);
    let mut queries = vec![q];
    if let Some(t) = total.filter(|t| *t > limit) {
        // Past the deep-paging limit: the first 10,000 in ascending order, the rest from the
        // other end in descending order, overlaps dropped by id.
        if t > 2 * limit {
            return Err(Attempt::Failed(format!(
                "{} reports {t} results for {}, more than twice the API's 10,000-result paging limit; \
                 the listing cannot be read completely",
                ep.rtype,
                query_string(&query)
            )));
        }
        let mut q = query.clone();
        q.push(("sortOrder".into(), "descending".into()));
        let rest = pages(api, (ep.rtype, ep.path), &q, size, Some((t, items.len() as u64)), limit)?;
        page_count += rest.pages;
        let mut seen: HashSet<String> = items.iter().filter_map(|i| i["id"].as_str().map(str::to_string)).collect();
        items.extend(rest.items.into_iter().filter(|i| i["id"].as_str().is_none_or(|id| seen.insert(id.to_string()))));
        queries.push(q);
    }
    let collected = items.len();
    if let Some(t) = total {
        if collected as u64 != t {
            return Err(Attempt::Short { collected, total: t });
        }
    }
    out.items.extend(items);
    for q in queries {
        out.endpoints.push(EndpointRecord::new(
            "GET",
            ep.path,
            [q, vec![("pageSize".into(), size.to_string())]].concat(),
            page_count,
            collected,
        ));
    }
    Ok(())
}

struct Pages {
    total: Option<u64>,
    items: Vec<Value>,
    pages: usize,
}

/// Reads pages `1..` of a numbered listing while they end within `limit` results. With
/// `until = (total, have)`, stops as soon as the pages read complete `have` to `total`.
fn pages(
    api: &ApiClient,
    (rtype, path): (&str, &str),
    query: &[(String, String)],
    size: u32,
    until: Option<(u64, u64)>,
    limit: u64,
) -> std::result::Result<Pages, Attempt> {
    let mut total: Option<u64> = until.map(|u| u.0);
    let mut items = Vec::new();
    let mut page = 1u64;
    loop {
        let mut q = query.to_vec();
        q.push(("pageSize".into(), size.to_string()));
        q.push(("pageNumber".into(), page.to_string()));
        let v = api.call("GET", &format!("{path}{}", query_string(&q)), None)?;
        match (total, v["total"].as_u64()) {
            (None, Some(t)) => total = Some(t),
            (Some(a), Some(b)) if a != b => {
                return Err(Attempt::Inconsistent(format!("the {rtype} total moved from {a} to {b} during paging")))
            }
            _ => {}
        }
        let entities = v["entities"].as_array().cloned().unwrap_or_default();
        let n = entities.len();
        items.extend(entities);
        let page_count = v["pageCount"].as_u64();
        let mut more =
            n > 0 && v.get("nextUri").and_then(Value::as_str).is_some() && page_count.is_none_or(|c| page < c);
        if (page + 1) * u64::from(size) > limit {
            more = false;
        }
        if let Some((t, have)) = until {
            if have + items.len() as u64 >= t {
                more = false;
            }
        }
        if !more {
            break;
        }
        page += 1;
    }
    Ok(Pages { total, items, pages: page as usize })
}

fn cursor(api: &ApiClient, ep: &Endpoint, size: u32, out: &mut TypeCollection) -> std::result::Result<(), Attempt> {
    let mut next = format!("{}?pageSize={size}", ep.path);
    let (mut pages, mut collected) = (0usize, 0usize);
    loop {
        let v = api.call("GET", &next, None)?;
        let entities = v["entities"].as_array().cloned().unwrap_or_default();
        pages += 1;
        collected += entities.len();
        let empty = entities.is_empty();
        out.items.extend(entities);
        match v.get("nextUri").and_then(Value::as_str) {
            Some(n) if !empty && pages < 100_000 => next = n.to_string(),
            _ => break,
        }
    }
    out.endpoints.push(EndpointRecord::new(
        "GET",
        ep.path,
        vec![("pageSize".into(), size.to_string()), ("after".into(), "<cursor>".into())],
        pages,
        collected,
    ));
    Ok(())
}

/// A trust's users and the roles each holds in this organization, attached to the trust as
/// `trustee_users[{id, name, state, roles[{id, name}]}]` (driftgate's composition of two
/// endpoints, as management units are grouped by business unit).
///
/// [V] `GET /api/v2/orgauthorization/trustees/{trusteeOrgId}/users` (pageSize, pageNumber; a
/// TrustUserEntityListing of TrustUser) and
/// `GET /api/v2/orgauthorization/trustees/{trusteeOrgId}/users/{trusteeUserId}/roles` (a
/// UserAuthorization with `roles[]`), per the platform SDKs' documentation. [?] The largest
/// page size, assumed 100.
fn trustee_users(
    api: &ApiClient,
    trust: &mut Value,
    records: &mut Vec<EndpointRecord>,
) -> std::result::Result<(), Attempt> {
    let id = trust["id"].as_str().ok_or_else(|| Attempt::Failed("a trust has no id".into()))?.to_string();
    let base = format!("/api/v2/orgauthorization/trustees/{}/users", urlencode(&id));
    let listed = pages(api, ("trustee users", &base), &[], 100, None, u64::MAX)?;
    if let Some(total) = listed.total.filter(|t| *t != listed.items.len() as u64) {
        return Err(Attempt::Short { collected: listed.items.len(), total });
    }
    records.push(EndpointRecord::new(
        "GET",
        "/api/v2/orgauthorization/trustees/{trusteeOrgId}/users",
        vec![("pageSize".into(), "100".into())],
        listed.pages,
        listed.items.len(),
    ));
    let mut users = Vec::with_capacity(listed.items.len());
    for u in &listed.items {
        let uid = u["id"].as_str().ok_or_else(|| Attempt::Failed("a trustee user has no id".into()))?;
        let auth = api.call("GET", &format!("{base}/{}/roles", urlencode(uid)), None)?;
        let roles: Vec<Value> =
            auth["roles"].as_array().into_iter().flatten().map(|r| json!({"id": r["id"], "name": r["name"]})).collect();
        users.push(json!({"id": uid, "name": u["name"], "state": u["state"], "roles": roles}));
    }
    if !listed.items.is_empty() {
        records.push(EndpointRecord::new(
            "GET",
            "/api/v2/orgauthorization/trustees/{trusteeOrgId}/users/{trusteeUserId}/roles",
            vec![],
            listed.items.len(),
            listed.items.len(),
        ));
    }
    trust["trustee_users"] = Value::Array(users);
    Ok(())
}

fn entities_only(api: &ApiClient, path: &str, out: &mut TypeCollection) -> std::result::Result<Vec<Value>, Attempt> {
    let v = api.call("GET", path, None)?;
    let items = v["entities"].as_array().cloned().unwrap_or_default();
    out.endpoints.push(EndpointRecord::new("GET", path, vec![], 1, items.len()));
    out.items.extend(items.clone());
    Ok(items)
}

/// Whether the realtime audit trail shows configuration changes in the last `minutes`.
pub(crate) fn changes_in_last(api: &ApiClient, minutes: u64) -> Result<u64> {
    let now = time::OffsetDateTime::now_utc();
    let from = now - time::Duration::minutes(minutes as i64);
    let body = json!({
        "interval": format!("{}/{}", crate::clock::rfc3339(from), crate::clock::rfc3339(now)),
        "pageNumber": 1,
        "pageSize": 1,
    });
    let v = api.call("POST", "/api/v2/audits/query/realtime", Some(&body)).map_err(|e| Error::Api {
        message: format!("settle window: the realtime audit query failed: {}", e.message),
        help: Some("the settle window needs audits:audit:view; run without --settle to skip it".into()),
    })?;
    Ok(v["total"].as_u64().unwrap_or_else(|| v["entities"].as_array().map_or(0, |e| e.len() as u64)))
}

/// Region name → domain (the API host is `api.<domain>`, the login host `login.<domain>`).
pub const REGIONS: &[(&str, &str)] = &[
    ("us-east-1", "mypurecloud.com"),
    ("us-east-2", "use2.us-gov-pure.cloud"),
    ("us-west-2", "usw2.pure.cloud"),
    ("ca-central-1", "cac1.pure.cloud"),
    ("sa-east-1", "sae1.pure.cloud"),
    ("mx-central-1", "mxc1.pure.cloud"),
    ("eu-west-1", "mypurecloud.ie"),
    ("eu-west-2", "euw2.pure.cloud"),
    ("eu-central-1", "mypurecloud.de"),
    ("eu-central-2", "euc2.pure.cloud"),
    ("eusc-de-east-1", "edee1.eusc-pure.cloud"),
    ("ap-northeast-1", "mypurecloud.jp"),
    ("ap-northeast-2", "apne2.pure.cloud"),
    ("ap-northeast-3", "apne3.pure.cloud"),
    ("ap-south-1", "aps1.pure.cloud"),
    ("ap-southeast-1", "apse1.pure.cloud"),
    ("ap-southeast-2", "mypurecloud.com.au"),
    ("me-central-1", "mec1.pure.cloud"),
];

/// The domain of a region name, or the argument itself when it already is a domain.
pub fn region_domain(region: &str) -> Result<String> {
    if let Some((_, d)) = REGIONS.iter().find(|(r, _)| *r == region) {
        return Ok(d.to_string());
    }
    if REGIONS.iter().any(|(_, d)| *d == region) || region.contains('.') {
        return Ok(region.trim_start_matches("api.").trim_start_matches("login.").to_string());
    }
    Err(Error::Usage {
        message: format!("unknown Genesys Cloud region {region:?}"),
        help: Some(format!(
            "use a region ({}) or its domain (mypurecloud.com, ...)",
            REGIONS.iter().map(|r| r.0).collect::<Vec<_>>().join(", ")
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions_map_to_their_domains_and_domains_pass_through() {
        assert_eq!(region_domain("eu-west-1").unwrap(), "mypurecloud.ie");
        assert_eq!(region_domain("us-east-1").unwrap(), "mypurecloud.com");
        assert_eq!(region_domain("mypurecloud.de").unwrap(), "mypurecloud.de");
        assert_eq!(region_domain("api.mypurecloud.jp").unwrap(), "mypurecloud.jp");
        assert!(region_domain("mars-1").is_err());
    }

    #[test]
    fn query_strings_are_percent_encoded() {
        let q = vec![("expand".to_string(), "authorization".to_string()), ("name".into(), "a b&c".into())];
        assert_eq!(query_string(&q), "?expand=authorization&name=a%20b%26c");
        assert_eq!(query_string(&[]), "");
    }

    #[test]
    fn every_contract_type_has_one_endpoint_and_no_invented_paths() {
        let types: Vec<&str> = ENDPOINTS.iter().map(|e| e.rtype).collect();
        assert_eq!(types.len(), 19);
        let unique: HashSet<&str> = types.iter().copied().collect();
        assert_eq!(unique.len(), 19);
        for e in ENDPOINTS {
            assert!(e.path.starts_with("/api/v2/"), "{}", e.path);
            for bad in ["/api/v2/audit/", "/api/v2/admin/", "/api/v2/security/", "/providers/edge/"] {
                assert!(!e.path.contains(bad), "{} is not a Genesys Cloud endpoint", e.path);
            }
        }
    }
}
