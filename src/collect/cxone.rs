//! NICE CXone: host discovery (`/.well-known/cxone-configuration?tenantId=…`), access-key
//! authentication, and every resource type of the snapshot contract from the ACD admin API
//! (`/incontactapi/services/vNN.0/…`, `skip`/`top` paging checked against `totalRecords`),
//! User Hub, authorization and access-key management.
//!
//! Much of CXone's API is not documented precisely (marked [?] in the API notes): the page
//! size, the array key of some answers, whether an answer is wrapped in `resultSet`, the
//! shape of the access-key token answer. Those are handled tolerantly here (either shape is
//! read) and the page size and API version are settings; completeness is never relaxed:
//! when a listing reports `totalRecords`, the items collected must match it.

use super::api::{ApiClient, Auth, Credentials, RetryPolicy};
use super::genesys::urlencode;
use super::{Attempt, CollectOptions, EndpointRecord, TypeCollection};
use crate::error::{Error, Result};
use serde_json::{json, Value};
use std::collections::HashSet;

/// The global identity host: discovery, and the OIDC token endpoint (`/auth/token`).
pub const DEFAULT_IDENTITY_HOST: &str = "https://cxone.niceincontact.com";

/// The ACD admin API version used when none is configured.
pub const DEFAULT_API_VERSION: &str = "v31.0";

/// Items asked for per page (`top`); CXone's maximum is not published (100 is what clients
/// assume), so it is a setting.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// Which API family an endpoint belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Family {
    /// `/incontactapi/services/vNN.0/…` (GET, `skip`/`top` in the query).
    Acd,
    /// A path of its own (GET, `skip`/`top` in the query).
    Plain,
    /// POST search with `skip`/`top` in the body.
    Search,
}

/// One resource type's source.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Endpoint {
    pub rtype: &'static str,
    pub family: Family,
    pub path: &'static str,
    /// The array holding the items (`agents`, `profiles`, …); `None` for a single object.
    pub key: Option<&'static str>,
    /// The field identifying an item (duplicates across pages are an inconsistent read).
    pub id: &'static str,
}

/// The endpoints (paths from the API notes, section 7).
pub(crate) const ENDPOINTS: &[Endpoint] = &[
    Endpoint { rtype: "business_unit", family: Family::Acd, path: "/business-unit", key: None, id: "businessUnitId" },
    Endpoint { rtype: "agents", family: Family::Acd, path: "/agents", key: Some("agents"), id: "agentId" },
    Endpoint {
        rtype: "users",
        family: Family::Search,
        path: "/user-management/v2/users/search",
        key: Some("users"),
        id: "id",
    },
    Endpoint {
        rtype: "roles",
        family: Family::Search,
        path: "/authorization/v1/roles/search",
        key: Some("roles"),
        id: "roleId",
    },
    Endpoint {
        rtype: "security_profiles",
        family: Family::Acd,
        path: "/security-profiles",
        key: Some("profiles"),
        id: "securityProfileId",
    },
    Endpoint { rtype: "teams", family: Family::Acd, path: "/teams", key: Some("teams"), id: "teamId" },
    Endpoint { rtype: "skills", family: Family::Acd, path: "/skills", key: Some("skills"), id: "skillId" },
    Endpoint {
        rtype: "points_of_contact",
        family: Family::Acd,
        path: "/points-of-contact",
        key: Some("pointsOfContact"),
        id: "contactCode",
    },
    Endpoint {
        rtype: "access_keys",
        family: Family::Plain,
        path: "/access-key-management/v1/access-keys",
        key: Some("accessKeys"),
        id: "accessKeyId",
    },
];

/// Where a CXone tenant's API is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hosts {
    /// API host (`https://api-na1.niceincontact.com`).
    pub api: String,
    /// Token endpoint.
    pub token: String,
    /// Area or cluster, for the snapshot's `region`.
    pub area: Option<String>,
}

/// The default variables holding the access key id and secret.
pub const ACCESS_KEY_VARS: (&str, &str) = ("CXONE_ACCESS_KEY_ID", "CXONE_ACCESS_KEY_SECRET");

/// The default variables holding a registered application's client id and secret.
pub const APP_VARS: (&str, &str) = ("CXONE_CLIENT_ID", "CXONE_CLIENT_SECRET");

/// Credentials from the variables named: the access key, and the registered application
/// when its variables are set (or must be, with `app_required`).
pub fn auth_from_env_vars(key_vars: (&str, &str), app_vars: (&str, &str), app_required: bool) -> Result<Auth> {
    let access_key = Credentials::from_env(key_vars.0, key_vars.1)?;
    Ok(match Credentials::from_env(app_vars.0, app_vars.1) {
        Ok(client) => Auth::AccessKeyPassword { client, access_key },
        Err(e) if app_required => return Err(e),
        Err(_) => Auth::AccessKey(access_key),
    })
}

/// Credentials from a JSON file: `{"access_key_id", "access_key_secret", "client_id"?,
/// "client_secret"?}`.
pub fn auth_from_file(path: &std::path::Path) -> Result<Auth> {
    #[derive(serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct F {
        access_key_id: String,
        access_key_secret: String,
        #[serde(default)]
        client_id: Option<String>,
        #[serde(default)]
        client_secret: Option<String>,
    }
    let f: F = crate::input::read_secret_json(
        path,
        "a CXone credentials file ({access_key_id, access_key_secret, client_id?, client_secret?})",
    )?;
    let access_key = Credentials { client_id: f.access_key_id, client_secret: f.access_key_secret };
    Ok(match (f.client_id, f.client_secret) {
        (Some(client_id), Some(client_secret)) => {
            Auth::AccessKeyPassword { client: Credentials { client_id, client_secret }, access_key }
        }
        (None, None) => Auth::AccessKey(access_key),
        _ => return Err(Error::invalid(path, "client_id and client_secret come together (a registered application)")),
    })
}

/// Finds the tenant's hosts. In order: an explicit `--base-url` (token endpoint
/// `<base-url>/auth/token` or `/authentication/v1/token/access-key` unless `--auth-url`);
/// discovery through `<identity host>/.well-known/cxone-configuration?tenantId=…`; an area
/// (`--region na1` → `https://api-na1.niceincontact.com`).
pub fn hosts(
    api: Option<&str>,
    tenant_id: Option<&str>,
    area: Option<&str>,
    identity_host: Option<&str>,
    auth_url: Option<&str>,
    auth: &Auth,
) -> Result<Hosts> {
    let identity = identity_host.unwrap_or(DEFAULT_IDENTITY_HOST).trim_end_matches('/').to_string();
    let token_path = |host: &str| match auth {
        Auth::AccessKey(_) => format!("{}/authentication/v1/token/access-key", host.trim_end_matches('/')),
        _ => format!("{}/auth/token", host.trim_end_matches('/')),
    };
    if let Some(base) = api {
        let token = auth_url.map_or_else(|| token_path(base), str::to_string);
        return Ok(Hosts { api: base.trim_end_matches('/').to_string(), token, area: area.map(str::to_string) });
    }
    if let Some(tid) = tenant_id {
        let discovery = ApiClient::with_auth(&identity, &identity, auth.clone(), RetryPolicy::default())?;
        let path = format!("/.well-known/cxone-configuration?tenantId={}", urlencode(tid));
        let v = discovery.call_public("GET", &path, None).map_err(|e| Error::Api {
            message: match e.status {
                // Refused outright; otherwise (retries ran out, the answer is not JSON) the
                // message says why.
                Some(status) if status >= 400 => format!("CXone host discovery failed: HTTP {status}"),
                _ => format!("CXone host discovery failed: {}", e.message),
            },
            help: Some("check --tenant-id, or give the API host with --base-url to skip discovery".into()),
        })?;
        let api = v["api_endpoint"].as_str().filter(|s| !s.is_empty()).ok_or_else(|| Error::Api {
            message: format!("CXone discovery for tenant {tid} gave no api_endpoint"),
            help: Some("check --tenant-id, or give the API host with --base-url".into()),
        })?;
        // The access-key endpoint lives on the tenant's auth host; the OIDC token endpoint
        // on the issuer (the identity host).
        let token = match (auth_url, auth) {
            (Some(a), _) => a.to_string(),
            (None, Auth::AccessKey(_)) => token_path(v["auth_endpoint"].as_str().unwrap_or(&identity)),
            (None, _) => token_path(&identity),
        };
        let area = v["area"].as_str().or_else(|| v["cluster"].as_str()).map(str::to_string);
        return Ok(Hosts { api: api.trim_end_matches('/').to_string(), token, area });
    }
    if let Some(a) = area {
        if !a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') || a.is_empty() {
            return Err(Error::Usage {
                message: format!("{a:?} is not a CXone area"),
                help: Some("an area is like na1, eu1, au1; or give --tenant-id for discovery".into()),
            });
        }
        let token = auth_url.map_or_else(|| token_path(&identity), str::to_string);
        return Ok(Hosts { api: format!("https://api-{a}.niceincontact.com"), token, area: Some(a.to_string()) });
    }
    Err(Error::Usage {
        message: "give --tenant-id (host discovery), --region AREA or --base-url for a CXone tenant".into(),
        help: Some("e.g. --tenant-id 11eb0000-… (found in the tenant's id_token as tenantId)".into()),
    })
}

/// Collects one type, reading again (up to three times) a listing that changed underneath.
pub(crate) fn collect_type(api: &ApiClient, ep: &Endpoint, opts: &CollectOptions) -> Result<TypeCollection> {
    let version = opts.api_version.as_deref().unwrap_or(DEFAULT_API_VERSION);
    let page = opts.page_size.unwrap_or(DEFAULT_PAGE_SIZE).max(1);
    super::read_again(ep.rtype, "totalRecords", || attempt(api, ep, version, page))
}

/// `/incontactapi/services/<version>` (`v31.0`; a bare `31` is accepted).
pub(crate) fn acd_base(version: &str) -> String {
    let v = version.trim_start_matches('v');
    let v = if v.contains('.') { v.to_string() } else { format!("{v}.0") };
    format!("/incontactapi/services/v{v}")
}

fn full_path(ep: &Endpoint, version: &str) -> String {
    match ep.family {
        Family::Acd => format!("{}{}", acd_base(version), ep.path),
        Family::Plain | Family::Search => ep.path.to_string(),
    }
}

/// The items of an answer: `key` at the top, or inside `resultSet`.
fn items_of(v: &Value, key: &str) -> Option<Vec<Value>> {
    v.get(key).or_else(|| v.get("resultSet").and_then(|r| r.get(key))).and_then(Value::as_array).cloned()
}

fn total_of(v: &Value) -> Option<u64> {
    let t = v.get("totalRecords").or_else(|| v.get("resultSet").and_then(|r| r.get("totalRecords")))?;
    t.as_u64().or_else(|| t.as_str().and_then(|s| s.parse().ok()))
}

fn attempt(api: &ApiClient, ep: &Endpoint, version: &str, page: u32) -> std::result::Result<TypeCollection, Attempt> {
    let path = full_path(ep, version);
    let mut out = TypeCollection::default();
    let Some(key) = ep.key else {
        let v = api.call("GET", &path, None)?;
        // The business unit comes as the object itself, or wrapped (`businessUnits[0]`,
        // `businessUnit`): take the one object in any of those shapes.
        let item = match (v.get("businessUnits").and_then(Value::as_array), v.get("businessUnit")) {
            (Some(list), _) if list.len() == 1 => list[0].clone(),
            (Some(list), _) => {
                return Err(Attempt::Failed(format!("{} answered {} business units, not one", path, list.len())))
            }
            (None, Some(b)) if b.is_object() => b.clone(),
            _ => v,
        };
        out.endpoints.push(EndpointRecord::new("GET", &path, vec![], 1, 1));
        out.items.push(item);
        return Ok(out);
    };
    let mut total: Option<u64> = None;
    let mut pages = 0usize;
    let mut seen = HashSet::new();
    loop {
        let skip = out.items.len();
        let v = match ep.family {
            Family::Search => api.call("POST", &path, Some(&json!({"skip": skip, "top": page})))?,
            Family::Acd | Family::Plain => api.call("GET", &format!("{path}?skip={skip}&top={page}"), None)?,
        };
        pages += 1;
        let items = items_of(&v, key).ok_or_else(|| {
            Attempt::Failed(format!(
                "{path}: the answer has no {key:?} list (a changed API version? see --api-version)"
            ))
        })?;
        match (total, total_of(&v)) {
            (None, Some(t)) => total = Some(t),
            (Some(a), Some(b)) if a != b => {
                return Err(Attempt::Inconsistent(format!(
                    "the {} totalRecords moved from {a} to {b} during paging",
                    ep.rtype
                )))
            }
            _ => {}
        }
        let n = items.len();
        for item in items {
            if let Some(id) = item.get(ep.id).filter(|i| !i.is_null()) {
                if !seen.insert(id.to_string()) {
                    return Err(Attempt::Inconsistent(format!("{} {id} was listed twice", ep.rtype)));
                }
            }
            out.items.push(item);
        }
        let done = match total {
            Some(t) => out.items.len() as u64 >= t || n == 0,
            // No total: read until a short or empty page.
            None => n < page as usize,
        };
        if done || pages >= 1_000_000 {
            break;
        }
    }
    if let Some(t) = total {
        if out.items.len() as u64 != t {
            return Err(Attempt::Short { collected: out.items.len(), total: t });
        }
    }
    let (method, query) = match ep.family {
        Family::Search => ("POST", vec![("body".to_string(), format!("{{\"skip\":<n>,\"top\":{page}}}"))]),
        _ => ("GET", vec![("skip".to_string(), "<n>".to_string()), ("top".to_string(), page.to_string())]),
    };
    out.endpoints.push(EndpointRecord::new(method, &path, query, pages, out.items.len()));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key_auth() -> Auth {
        Auth::AccessKey(Credentials { client_id: "AK".into(), client_secret: "s".into() })
    }

    #[test]
    fn every_contract_type_has_one_endpoint_on_a_real_api_family() {
        let types: Vec<&str> = ENDPOINTS.iter().map(|e| e.rtype).collect();
        assert_eq!(
            types,
            vec![
                "business_unit",
                "agents",
                "users",
                "roles",
                "security_profiles",
                "teams",
                "skills",
                "points_of_contact",
                "access_keys"
            ]
        );
        for e in ENDPOINTS {
            let p = full_path(e, "v31.0");
            assert!(
                p.starts_with("/incontactapi/services/v31.0/")
                    || p.starts_with("/user-management/")
                    || p.starts_with("/authorization/")
                    || p.starts_with("/access-key-management/"),
                "{p}"
            );
        }
    }

    #[test]
    fn the_api_version_is_a_setting_in_either_spelling() {
        assert_eq!(acd_base("v31.0"), "/incontactapi/services/v31.0");
        assert_eq!(acd_base("26"), "/incontactapi/services/v26.0");
        assert_eq!(acd_base("v34"), "/incontactapi/services/v34.0");
    }

    #[test]
    fn hosts_come_from_the_base_url_or_the_area() {
        let h = hosts(Some("http://127.0.0.1:9/"), None, None, None, None, &key_auth()).unwrap();
        assert_eq!(h.api, "http://127.0.0.1:9");
        assert_eq!(h.token, "http://127.0.0.1:9/authentication/v1/token/access-key");
        let app = Auth::AccessKeyPassword { client: key_credentials(), access_key: key_credentials() };
        let h = hosts(None, None, Some("na1"), None, None, &app).unwrap();
        assert_eq!(h.api, "https://api-na1.niceincontact.com");
        assert_eq!(h.token, "https://cxone.niceincontact.com/auth/token");
        assert!(hosts(None, None, Some("na1/../x"), None, None, &app).is_err());
        assert!(hosts(None, None, None, None, None, &app).is_err());
    }

    fn key_credentials() -> Credentials {
        Credentials { client_id: "c".into(), client_secret: "s".into() }
    }

    #[test]
    fn items_and_totals_are_read_flat_or_inside_a_result_set() {
        let flat = json!({"totalRecords": 2, "agents": [{"agentId": 1}, {"agentId": 2}]});
        let wrapped = json!({"resultSet": {"totalRecords": "2", "agents": [{"agentId": 1}, {"agentId": 2}]}});
        for v in [flat, wrapped] {
            assert_eq!(items_of(&v, "agents").unwrap().len(), 2);
            assert_eq!(total_of(&v), Some(2));
        }
        assert!(items_of(&json!({"skills": []}), "agents").is_none());
    }
}
