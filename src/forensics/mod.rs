//! Incident forensics (`driftgate forensics collect`): for one incident, the audit trail of a
//! subject (what the user did, what was done to the user, what an OAuth client did, what came
//! from an address) over a window, the subject's user record and role grants, the roles and
//! OAuth clients involved, and a configuration snapshot of the resource types they touched.
//! Raw unless asked to mask. Every artifact is hashed on receipt and logged in a hash-chained
//! custody log; optionally encrypted to the SOC team's `age` recipients (both hashes kept);
//! stored as a signed package in the tenant's forensic stream `<tenant>.forensics`, every
//! object under legal hold with the incident's metadata.

pub mod custody;

use crate::audit::mask::{MaskStats, Masker};
use crate::audit::query::{run_query, Filter, Polling};
use crate::canonical;
use crate::collect::api::ApiClient;
use crate::collect::CollectOptions;
use crate::error::{Error, Result};
use crate::evidence::store::{ObjectOptions, Store};
use crate::evidence::{write_package, PackageInput, Signer25519};
use custody::CustodyLog;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use time::OffsetDateTime;

/// What to collect for an incident.
#[derive(Debug, Clone)]
pub struct ForensicOptions {
    /// Tenant.
    pub tenant: String,
    /// Platform (`genesys-cloud`).
    pub platform: crate::platform::Platform,
    /// Incident id (`INC-1234`).
    pub incident: String,
    /// The subject's user id.
    pub subject: String,
    /// An OAuth client involved.
    pub client: Option<String>,
    /// An address involved.
    pub ip: Option<String>,
    /// Window start.
    pub from: OffsetDateTime,
    /// Window end.
    pub to: OffsetDateTime,
    /// `age` recipients (`age1…`) to encrypt the artifacts to.
    pub recipients: Vec<String>,
    /// Who collected (an operator name or account); the service account is the API client.
    pub collected_by: String,
    /// Evidence retention in days.
    pub retention_days: u32,
    /// Audit query interval in hours.
    pub interval_hours: u64,
    /// How long the platform keeps audit events: the part of the window older than this is
    /// read from the tenant's audit archive in the store instead of the live API.
    pub platform_retention_days: u64,
    /// Query polling.
    pub polling: Polling,
    /// Where the forensic stream's new head is recorded.
    pub witness: Vec<crate::evidence::WitnessConfig>,
}

/// One artifact as the package records it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Artifact {
    /// Its name (`audit/by-user.ndjson`).
    pub artifact: String,
    /// The file in the package (`<name>.age` when encrypted).
    pub stored_as: String,
    /// SHA-256 of the plaintext, as received.
    pub sha256: String,
    /// Plaintext size.
    pub bytes: u64,
    /// SHA-256 of the stored bytes (the ciphertext when encrypted).
    pub sha256_stored: String,
    /// Encrypted to the package's recipients.
    pub encrypted: bool,
    /// Where it came from.
    pub source: String,
    /// When it was received.
    pub received_at: String,
}

/// What a collection produced.
#[derive(Debug, Clone, Serialize)]
pub struct ForensicOutcome {
    /// Incident.
    pub incident: String,
    /// Sequence in the forensic stream.
    pub sequence: u64,
    /// The package's manifest.
    pub manifest_key: String,
    /// The artifacts.
    pub artifacts: Vec<Artifact>,
    /// Custody entries written.
    pub custody_entries: usize,
}

/// The store prefix (and chain) of a tenant's forensic packages.
pub fn stream(tenant: &str) -> String {
    format!("{tenant}.forensics")
}

/// Parses `age1…` recipients, refusing anything else before any call is made.
pub fn parse_recipients(list: &[String]) -> Result<Vec<age::x25519::Recipient>> {
    list.iter()
        .map(|r| {
            r.trim().parse::<age::x25519::Recipient>().map_err(|e| Error::Usage {
                message: format!("--recipient {r:?} is not an age X25519 public key: {e}"),
                help: Some("the SOC team's key from `age-keygen -y`, starting with age1".into()),
            })
        })
        .collect()
}

fn encrypt(recipients: &[age::x25519::Recipient], plaintext: &[u8]) -> Result<Vec<u8>> {
    let fail = |e: String| Error::Crypto { message: format!("age encryption failed: {e}") };
    let encryptor = age::Encryptor::with_recipients(recipients.iter().map(|r| r as &dyn age::Recipient))
        .map_err(|e| fail(e.to_string()))?;
    let mut out = Vec::with_capacity(plaintext.len() + 512);
    let mut w = encryptor.wrap_output(&mut out).map_err(|e| fail(e.to_string()))?;
    w.write_all(plaintext).map_err(|e| fail(e.to_string()))?;
    w.finish().map_err(|e| fail(e.to_string()))?;
    Ok(out)
}

/// Decrypts an artifact with identities from an `age-keygen` identity file's text.
pub fn decrypt(identity_file: &str, ciphertext: &[u8]) -> Result<Vec<u8>> {
    let fail = |e: String| Error::Crypto { message: format!("age decryption failed: {e}") };
    let identities = age::IdentityFile::from_buffer(identity_file.as_bytes())
        .map_err(|e| fail(e.to_string()))?
        .into_identities()
        .map_err(|e| fail(e.to_string()))?;
    let d = age::Decryptor::new(ciphertext).map_err(|e| fail(e.to_string()))?;
    let mut r =
        d.decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity)).map_err(|e| fail(e.to_string()))?;
    let mut out = Vec::new();
    std::io::Read::read_to_end(&mut r, &mut out).map_err(|e| fail(e.to_string()))?;
    Ok(out)
}

/// Resource types an audit `entityType` points at.
fn resource_type(entity_type: &str) -> Option<&'static str> {
    Some(match entity_type.to_ascii_lowercase().as_str() {
        "user" => "users",
        "role" | "authorizationrole" | "grant" => "roles",
        "group" => "groups",
        "queue" => "queues",
        "skill" | "routingskill" => "skills",
        "oauthclient" | "client" => "oauth_clients",
        "trunk" => "trunks",
        "trunkbase" | "trunkbasesettings" => "trunk_base_settings",
        "site" => "sites",
        "division" => "divisions",
        "integration" => "integrations",
        "identityprovider" | "ssoprovider" => "identity_providers",
        "organization" | "orgauthsettings" | "authenticationsettings" => "authentication_settings",
        "businessunit" => "wfm_business_units",
        "managementunit" => "wfm_management_units",
        _ => return None,
    })
}

struct Collected {
    artifacts: Vec<(String, Vec<u8>, String)>,
}

/// Collects an incident package into `store`.
#[allow(clippy::too_many_arguments)]
pub fn collect_incident(
    api: &ApiClient,
    snapshot_from: &CollectOptions,
    store: &dyn Store,
    key: &Signer25519,
    masker: Option<&Masker>,
    opts: &ForensicOptions,
    now: OffsetDateTime,
) -> Result<ForensicOutcome> {
    if !opts.platform.has_audit_api() {
        return Err(Error::Usage {
            message: format!("forensic collection from {} is not built yet", opts.platform),
            help: None,
        });
    }
    for (what, v) in [("incident id", &opts.incident), ("subject", &opts.subject)] {
        crate::snapshot::validate_path_component(v)
            .map_err(|why| Error::Usage { message: format!("{what} {v:?} {why}"), help: None })?;
    }
    if opts.from >= opts.to {
        return Err(Error::Usage { message: "--from must be before --to".into(), help: None });
    }
    let recipients = parse_recipients(&opts.recipients)?;
    let actor = json!({
        "collected_by": opts.collected_by,
        "service_account": snapshot_from.auth.principal(),
        "tool": format!("driftgate {}", env!("CARGO_PKG_VERSION")),
    });
    let mut custody = CustodyLog::new(actor);
    custody.record(
        "opened",
        json!({
            "incident": opts.incident, "tenant": opts.tenant, "subject": opts.subject, "client": opts.client, "ip": opts.ip,
            "window": {"from": crate::clock::rfc3339(opts.from), "to": crate::clock::rfc3339(opts.to)},
            "masked": masker.is_some(), "recipients": opts.recipients,
        }),
    );
    let mut got = Collected { artifacts: Vec::new() };
    let mut artifacts: Vec<Artifact> = Vec::new();
    let mut receive = |custody: &mut CustodyLog, name: String, bytes: Vec<u8>, source: String| {
        let sha = canonical::sha256_hex(&bytes);
        custody.record("received", json!({"artifact": name, "sha256": sha, "bytes": bytes.len(), "source": source}));
        got.artifacts.push((name, bytes, source));
    };

    // 1. The audit trail.
    let mut stats = MaskStats::default();
    let mut all_events: Vec<Value> = Vec::new();
    let mut queries = vec![
        ("audit/by-subject.ndjson", vec![Filter { property: "UserId".into(), value: opts.subject.clone() }], None),
        ("audit/on-subject.ndjson", vec![Filter { property: "EntityId".into(), value: opts.subject.clone() }], None),
    ];
    if let Some(c) = &opts.client {
        queries.push(("audit/by-client.ndjson", vec![Filter { property: "ClientId".into(), value: c.clone() }], None));
    }
    if let Some(ip) = &opts.ip {
        queries.push(("audit/from-ip.ndjson", Vec::new(), Some(ip.clone())));
    }
    // The platform no longer serves events older than its retention: those parts of the
    // window, and any interval the live API returns empty, come from the tenant's audit
    // archive in this store (each batch checked before use), without duplicates by event id.
    let edge = now - time::Duration::days(opts.platform_retention_days as i64);
    for (name, filters, ip) in queries {
        let mut events: BTreeMap<(String, String), Value> = BTreeMap::new();
        let mut txs = Vec::new();
        let mut from_archive: Vec<(time::OffsetDateTime, time::OffsetDateTime)> = Vec::new();
        let step = time::Duration::hours(opts.interval_hours.max(1) as i64);
        let mut a = opts.from;
        while a < opts.to {
            let mut b = (a + step).min(opts.to);
            if a < edge && b > edge {
                b = edge;
            }
            if b <= edge {
                from_archive.push((a, b));
                a = b;
                continue;
            }
            let mut returned = 0usize;
            let rec = run_query(api, a, b, None, &filters, opts.polling, |page| {
                for e in page {
                    returned += 1;
                    if let Some(ip) = &ip {
                        let from_ip = e["remoteIp"].as_array().is_some_and(|l| l.iter().any(|x| x == ip.as_str()));
                        if !from_ip {
                            continue;
                        }
                    }
                    all_events.push(json!({"entityType": e["entityType"], "entity": {"id": e["entity"]["id"]},
                                           "client": {"id": e["client"]["id"]}}));
                    let e = match masker {
                        Some(m) => m.apply(e, &mut stats),
                        None => e,
                    };
                    let k =
                        (e["eventDate"].as_str().unwrap_or("").to_string(), e["id"].as_str().unwrap_or("").to_string());
                    events.insert(k, e);
                }
                Ok(())
            })?;
            if returned == 0 {
                from_archive.push((a, b));
            }
            txs.push(rec.transaction_id);
            a = b;
        }
        let live = events.len();
        let mut archived_note = String::new();
        if !from_archive.is_empty() {
            let found =
                archived(store, key, opts, &filters, ip.as_deref(), &from_archive, &mut events, &mut all_events)?;
            let batches: Vec<String> = found["batches"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|b| b["events"].as_array().is_some_and(|e| !e.is_empty()))
                .map(|b| format!("{}", b["sequence"]))
                .collect();
            if !batches.is_empty() {
                archived_note =
                    format!(" + archived batches {} of {}", batches.join(","), crate::audit::stream(&opts.tenant));
            }
            let mut record = found;
            record["artifact"] = json!(name);
            record["live_events"] = json!(live);
            custody.record("archive", record);
        }
        let mut bytes = Vec::new();
        for e in events.values() {
            bytes.extend_from_slice(&canonical::to_vec(e));
            bytes.push(b'\n');
        }
        let filter_text = filters.iter().map(|f| format!("{}={}", f.property, f.value)).collect::<Vec<_>>().join(",");
        let source = format!(
            "POST /api/v2/audits/query filters [{filter_text}]{} transactions {}{archived_note}",
            ip.map(|i| format!(" remoteIp={i}")).unwrap_or_default(),
            txs.join(",")
        );
        receive(&mut custody, name.to_string(), bytes, source);
    }

    // 2. The subject, its grants, the roles and OAuth clients involved.
    let get = |path: &str| -> Result<Option<Value>> {
        match api.call("GET", path, None) {
            Ok(v) => Ok(Some(v)),
            Err(e) if e.status == Some(404) => Ok(None),
            Err(e) => Err(Error::Api { message: format!("forensic collection: {}", e.message), help: None }),
        }
    };
    let subject = crate::collect::genesys::urlencode(&opts.subject);
    let mut role_ids: BTreeSet<String> = BTreeSet::new();
    let mut client_ids: BTreeSet<String> = opts.client.iter().cloned().collect();
    for e in &all_events {
        let id = e["entity"]["id"].as_str().unwrap_or("");
        match e["entityType"].as_str().unwrap_or("") {
            "Role" | "AuthorizationRole" if !id.is_empty() => {
                role_ids.insert(id.to_string());
            }
            "OAuthClient" if !id.is_empty() => {
                client_ids.insert(id.to_string());
            }
            _ => {}
        }
        if let Some(c) = e["client"]["id"].as_str() {
            client_ids.insert(c.to_string());
        }
    }
    for (name, path) in [
        ("subject/user.json", format!("/api/v2/users/{subject}?expand=authorization&state=any")),
        ("subject/grants.json", format!("/api/v2/authorization/subjects/{subject}")),
    ] {
        match get(&path)? {
            Some(v) => {
                for r in v["authorization"]["roles"].as_array().into_iter().flatten() {
                    role_ids.extend(r["id"].as_str().map(str::to_string));
                }
                for g in v["grants"].as_array().into_iter().flatten() {
                    role_ids.extend(g["role"]["id"].as_str().map(str::to_string));
                }
                receive(&mut custody, name.to_string(), canonical::to_pretty(&v).into_bytes(), format!("GET {path}"));
            }
            None => {
                custody.record("unavailable", json!({"artifact": name, "source": format!("GET {path}"), "status": 404}))
            }
        }
    }
    for id in &role_ids {
        let path = format!("/api/v2/authorization/roles/{}", crate::collect::genesys::urlencode(id));
        match get(&path)? {
            Some(v) => receive(
                &mut custody,
                format!("roles/{}.json", safe(id)),
                canonical::to_pretty(&v).into_bytes(),
                format!("GET {path}"),
            ),
            None => custody.record(
                "unavailable",
                json!({"artifact": format!("roles/{}.json", safe(id)), "source": format!("GET {path}"), "status": 404}),
            ),
        }
    }
    for id in &client_ids {
        let path = format!("/api/v2/oauth/clients/{}", crate::collect::genesys::urlencode(id));
        match get(&path)? {
            Some(mut v) => {
                // The one thing never kept, raw or not: the client's secret.
                if let Some(o) = v.as_object_mut() {
                    if o.contains_key("secret") {
                        o.insert("secret".into(), json!("<redacted>"));
                    }
                }
                receive(&mut custody, format!("oauth-clients/{}.json", safe(id)), canonical::to_pretty(&v).into_bytes(), format!("GET {path}"));
            }
            None => custody.record("unavailable", json!({"artifact": format!("oauth-clients/{}.json", safe(id)), "source": format!("GET {path}"), "status": 404})),
        }
    }

    // 3. The configuration they touched.
    let mut types: BTreeSet<&str> = ["users", "roles"].into_iter().collect();
    types.extend(all_events.iter().filter_map(|e| e["entityType"].as_str().and_then(resource_type)));
    let mut snap_opts = snapshot_from.clone();
    snap_opts.resources = types.iter().map(|s| s.to_string()).collect();
    snap_opts.progress = false;
    let snapshot = crate::collect::collect(&snap_opts)?;
    receive(
        &mut custody,
        "snapshot.json".into(),
        canonical::to_pretty(&snapshot.to_value()).into_bytes(),
        format!("driftgate collect --resources {}", snap_opts.resources.join(",")),
    );

    // 4. Encryption, the index, the package.
    let received_at = crate::clock::rfc3339(now);
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    for (name, plain, source) in got.artifacts {
        let sha = canonical::sha256_hex(&plain);
        let (stored_as, stored) = if recipients.is_empty() {
            (name.clone(), plain.clone())
        } else {
            let c = encrypt(&recipients, &plain)?;
            let stored_as = format!("{name}.age");
            custody.record(
                "encrypted",
                json!({"artifact": name, "stored_as": stored_as, "sha256_plaintext": sha, "sha256_ciphertext": canonical::sha256_hex(&c),
                       "recipients": opts.recipients}),
            );
            (stored_as, c)
        };
        artifacts.push(Artifact {
            artifact: name,
            stored_as: stored_as.clone(),
            sha256: sha,
            bytes: plain.len() as u64,
            sha256_stored: canonical::sha256_hex(&stored),
            encrypted: !recipients.is_empty(),
            source,
            received_at: received_at.clone(),
        });
        files.insert(stored_as, stored);
    }
    let retain = crate::clock::rfc3339(now + time::Duration::days(i64::from(opts.retention_days)));
    let about = json!({
        "incident_id": opts.incident,
        "subject": opts.subject,
        "client": opts.client,
        "ip": opts.ip,
        "window": {"from": crate::clock::rfc3339(opts.from), "to": crate::clock::rfc3339(opts.to)},
        "collected_at": received_at,
        "collected_by": opts.collected_by,
        "service_account": snapshot_from.auth.principal(),
        "retention_until": retain,
        "legal_hold": true,
        "masked": masker.is_some(),
        "encrypted_to": opts.recipients,
    });
    custody.record("sealed", json!({"artifacts": artifacts.len()}));
    files.insert(
        "artifacts.json".into(),
        canonical::to_pretty(&json!({"incident": about, "artifacts": artifacts})).into_bytes(),
    );
    files.insert("custody.jsonl".into(), custody.to_bytes());
    let entries = custody.len();
    let mut object = ObjectOptions { legal_hold: true, ..Default::default() };
    for (k, v) in [
        ("incident-id", opts.incident.clone()),
        ("collected-at", received_at.clone()),
        ("collected-by", opts.collected_by.clone()),
        ("retention-until", retain.clone()),
        ("legal-hold", "true".into()),
    ] {
        object.metadata.insert(k.into(), v);
    }
    let run_id = format!(
        "forensics-{}-{}",
        opts.incident,
        &canonical::sha256_hex(format!("{now}{}", std::process::id()).as_bytes())[..8]
    );
    let written = write_package(
        store,
        key,
        PackageInput {
            tenant: stream(&opts.tenant),
            platform: opts.platform.name().to_string(),
            run_id,
            collection_id: format!("incident-{}", opts.incident),
            files,
            collector: json!({"name": "driftgate-forensics-genesys-cloud", "version": env!("CARGO_PKG_VERSION"),
                              "api_base_url": api.base_url()}),
            endpoints: json!(artifacts.iter().map(|a| &a.source).collect::<Vec<_>>()),
            record_counts: artifacts.iter().map(|a| (a.artifact.clone(), 1usize)).collect(),
            snapshot_sha256: crate::normalize::configuration_digest(&crate::normalize::normalize(
                snapshot,
                crate::catalog::Catalog::built_in()?.platform(opts.platform.name())?,
            )),
            policy_bundle_sha256: String::new(),
            policy_bundle_revision: None,
            baseline_sha256: None,
            retention_days: opts.retention_days,
            object,
            forensic: Some(about),
        },
        now,
    )?;
    crate::evidence::witness::record(&opts.witness, key, &stream(&opts.tenant), &written)?;
    Ok(ForensicOutcome {
        incident: opts.incident.clone(),
        sequence: written.sequence,
        manifest_key: written.manifest_key,
        artifacts,
        custody_entries: entries,
    })
}

/// The archived events of one query's filters in `intervals` that the live results lack,
/// added to `events`; what was read, for the custody log: the intervals, each batch used
/// (sequence, manifest hash, the ids taken from it), what the archive does not cover, and the
/// batches that failed their check.
#[allow(clippy::too_many_arguments)]
fn archived(
    store: &dyn Store,
    key: &Signer25519,
    opts: &ForensicOptions,
    filters: &[Filter],
    ip: Option<&str>,
    intervals: &[(OffsetDateTime, OffsetDateTime)],
    events: &mut BTreeMap<(String, String), Value>,
    all_events: &mut Vec<Value>,
) -> Result<Value> {
    use crate::audit::archive::Trust;
    let mut f = crate::audit::search::Filters { ip: ip.map(str::to_string), ..Default::default() };
    for x in filters {
        match x.property.as_str() {
            "UserId" => f.user = Some(x.value.clone()),
            "EntityId" => f.entity = Some(x.value.clone()),
            "ClientId" => f.client = Some(x.value.clone()),
            _ => {}
        }
    }
    let window = (intervals[0].0, intervals[intervals.len() - 1].1);
    let found = crate::audit::search::search(store, &opts.tenant, window, &Trust::Pinned(key.public()), &f)?;
    let known: std::collections::HashSet<String> = events.keys().map(|(_, id)| id.clone()).collect();
    let mut taken: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for e in &found.events {
        if known.contains(&e.id) || !intervals.iter().any(|(a, b)| e.at >= *a && e.at < *b) {
            continue;
        }
        let event = e.event();
        all_events.push(json!({"entityType": event["entityType"], "entity": {"id": event["entity"]["id"]},
                               "client": {"id": event["client"]["id"]}}));
        let k = (event["eventDate"].as_str().unwrap_or("").to_string(), e.id.clone());
        events.insert(k, event);
        taken.entry(e.batch).or_default().push(e.id.clone());
    }
    let rfc = crate::clock::rfc3339;
    let covered = |a: OffsetDateTime, b: OffsetDateTime| found.covers(a, b);
    Ok(json!({
        "stream": found.stream,
        "intervals": intervals.iter().map(|(a, b)| json!({"from": rfc(*a), "to": rfc(*b), "covered": covered(*a, *b)})).collect::<Vec<_>>(),
        "batches": taken.iter().map(|(i, ids)| {
            let b = &found.batches[*i];
            json!({"sequence": b.sequence, "manifest_sha256": b.manifest_sha256, "events": ids})
        }).collect::<Vec<_>>(),
        "not_covered": found.gaps.iter().filter(|(a, b)| intervals.iter().any(|(x, y)| a < y && b > x))
            .map(|(a, b)| json!({"from": rfc(*a), "to": rfc(*b)})).collect::<Vec<_>>(),
        "problems": found.problems,
        "masked": "archived events are minimized and masked as the archive holds them",
    }))
}

/// An id as a file name.
fn safe(id: &str) -> String {
    id.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '_' }).collect()
}
