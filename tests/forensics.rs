//! `driftgate forensics collect` against the emulator: an incident package with its chain of
//! custody, verified by both verifiers; tampering with any artifact or custody entry found;
//! artifacts encrypted to an age recipient decrypt (with driftgate and with the `age` CLI) to
//! the hashes recorded on receipt; objects on S3 under legal hold with the incident's metadata.

mod support;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use support::genesys::{Emulator, Faults, CLIENT_ID, CLIENT_SECRET};
use support::{copy_tree, driftgate, tenant, walk, writable};
use time::OffsetDateTime;

const DANA: &str = "8df08078-a22e-4180-85c2-c2af3977a654";
const COLLECTOR_CLIENT: &str = "00c20d93-475b-4b38-840a-d72b8af9825d";
const USER_ADMIN_ROLE: &str = "ddcb369d-2330-4cf1-962a-e4b848668d77";

fn rfc(t: OffsetDateTime) -> String {
    driftgate::clock::rfc3339(t)
}

/// An emulator whose audit trail has a day of Dana's activity, including a role change and a
/// queue change, and the window around it.
fn incident_emulator() -> (Emulator, OffsetDateTime, OffsetDateTime) {
    let emu = Emulator::start(&tenant::genesys(40, 3), Faults::default());
    let from = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() - time::Duration::hours(30);
    let mut events = tenant::audit_events(from, 24, 5, 9);
    events[3]["entityType"] = json!("Role");
    events[3]["entity"] = json!({"id": USER_ADMIN_ROLE, "name": "User Admin"});
    events[4]["entityType"] = json!("Queue");
    events[5]["user"]["id"] = json!("someone-else");
    events[5]["remoteIp"] = json!(["198.51.100.77"]);
    emu.add_audit_events(events);
    (emu, from, from + time::Duration::hours(25))
}

fn age_keygen(dir: &Path) -> (PathBuf, String) {
    let key = dir.join("soc.key");
    let out = std::process::Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .output()
        .expect("age-keygen (installed by .ci/test)");
    assert!(out.status.success());
    let text = std::fs::read_to_string(&key).unwrap();
    let public = text.lines().find_map(|l| l.strip_prefix("# public key: ")).unwrap().trim().to_string();
    (key, public)
}

fn collect(
    emu: &Emulator,
    store: &Path,
    from: OffsetDateTime,
    to: OffsetDateTime,
    extra: &[&str],
) -> (i32, String, Value) {
    let out = driftgate()
        .args([
            "forensics",
            "collect",
            "--platform",
            "genesys-cloud",
            "--tenant",
            "acme-corp",
            "--incident",
            "INC-4711",
        ])
        .args(["--subject", DANA, "--client", COLLECTOR_CLIENT, "--ip", "198.51.100.77"])
        .args(["--from", &rfc(from), "--to", &rfc(to), "--collected-by", "soc-analyst@acme.example"])
        .args(["--base-url", &emu.url])
        .arg("--store")
        .arg(store)
        .args(extra)
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        .env("DRIFTGATE_MASK_KEY", "forensic-mask-key-0123456789")
        .env("DRIFTGATE_SIGNING_KEY", std::fs::read_to_string(support::root().join("examples/keys/demo.key")).unwrap())
        .env("DRIFTGATE_AUDIT_POLL_MS", "5")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.code().unwrap_or(-1), stderr, serde_json::from_slice(&out.stdout).unwrap_or(Value::Null))
}

fn package_dir(store: &Path, outcome: &Value) -> PathBuf {
    store.join(outcome["manifest_key"].as_str().unwrap()).parent().unwrap().to_path_buf()
}

/// (exit code, sorted error codes) of both verifiers, which must agree.
fn verdict(store: &Path) -> (i32, Vec<String>) {
    let out = driftgate().args(["evidence", "verify", "--format", "json"]).arg(store).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut rust: Vec<String> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["severity"] == "error")
        .map(|p| p["code"].as_str().unwrap().to_string())
        .collect();
    rust.sort();
    rust.dedup();
    let py = std::process::Command::new("python3").arg(store.join("verify_evidence.py")).arg(store).output().unwrap();
    let text = String::from_utf8_lossy(&py.stdout);
    let mut pyc: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("ERROR"))
        .filter_map(|l| l.split_whitespace().nth(1).map(str::to_string))
        .collect();
    pyc.sort();
    pyc.dedup();
    assert_eq!(rust, pyc, "the verifiers disagree:\n{text}");
    (out.status.code().unwrap_or(-1), rust)
}

#[test]
fn an_encrypted_incident_package_verifies_detects_tampering_and_decrypts_to_its_hashes() {
    let (emu, from, to) = incident_emulator();
    let d = tempfile::tempdir().unwrap();
    let (identity, public) = age_keygen(d.path());
    let store = d.path().join("evidence");
    let (code, stderr, out) = collect(&emu, &store, from, to, &["--recipient", &public]);
    assert_eq!(code, 0, "{stderr}");
    let pkg = package_dir(&store, &out);
    assert!(pkg.starts_with(store.join("acme-corp.forensics")));

    // What was collected, and how it is described.
    let index: Value = serde_json::from_str(&std::fs::read_to_string(pkg.join("artifacts.json")).unwrap()).unwrap();
    let names: Vec<&str> =
        index["artifacts"].as_array().unwrap().iter().map(|a| a["artifact"].as_str().unwrap()).collect();
    for want in [
        "audit/by-subject.ndjson",
        "audit/on-subject.ndjson",
        "audit/by-client.ndjson",
        "audit/from-ip.ndjson",
        "subject/user.json",
        "subject/grants.json",
        &format!("roles/{USER_ADMIN_ROLE}.json"),
        &format!("oauth-clients/{COLLECTOR_CLIENT}.json"),
        "snapshot.json",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
    assert!(index["artifacts"].as_array().unwrap().iter().all(|a| a["encrypted"] == true
        && a["stored_as"].as_str().unwrap().ends_with(".age")
        && a["sha256"] != a["sha256_stored"]));
    let incident = &index["incident"];
    assert_eq!(incident["incident_id"], "INC-4711");
    assert_eq!(incident["legal_hold"], true);
    assert_eq!(incident["collected_by"], "soc-analyst@acme.example");
    assert_eq!(incident["service_account"], CLIENT_ID);
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(pkg.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["forensic"]["incident_id"], "INC-4711");
    assert_eq!(manifest["storage"]["legal_hold"], true);
    // The custody log: opened, a receipt per artifact, an encryption per artifact, sealed.
    let custody = std::fs::read_to_string(pkg.join("custody.jsonl")).unwrap();
    let entries: Vec<Value> = custody.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries[0]["action"], "opened");
    assert_eq!(entries.last().unwrap()["action"], "sealed");
    assert_eq!(entries.iter().filter(|e| e["action"] == "received").count(), names.len());
    assert_eq!(entries.iter().filter(|e| e["action"] == "encrypted").count(), names.len());
    assert!(entries.iter().all(|e| e["actor"]["collected_by"] == "soc-analyst@acme.example"));
    // Nothing readable at rest but hashes and ids.
    for f in walk(&pkg) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert!(!text.contains("dana.ortiz@acme.example"), "{} holds plaintext", f.display());
    }
    assert_eq!(verdict(&store), (0, vec![]));

    // Decrypted with driftgate: every artifact to the hash recorded on receipt.
    let plain = d.path().join("plain");
    let dec = driftgate()
        .args(["forensics", "decrypt"])
        .arg(&pkg)
        .arg("--identity")
        .arg(&identity)
        .arg("--out")
        .arg(&plain)
        .output()
        .unwrap();
    assert_eq!(dec.status.code(), Some(0), "{}", String::from_utf8_lossy(&dec.stderr));
    for a in index["artifacts"].as_array().unwrap() {
        let bytes = std::fs::read(plain.join(a["artifact"].as_str().unwrap())).unwrap();
        assert_eq!(driftgate::canonical::sha256_hex(&bytes), a["sha256"].as_str().unwrap());
    }
    // ... and with the age CLI, as the SOC team would.
    let by_subject =
        index["artifacts"].as_array().unwrap().iter().find(|a| a["artifact"] == "audit/by-subject.ndjson").unwrap();
    let age = std::process::Command::new("age")
        .arg("-d")
        .arg("-i")
        .arg(&identity)
        .arg(pkg.join(by_subject["stored_as"].as_str().unwrap()))
        .output()
        .unwrap();
    assert!(age.status.success(), "{}", String::from_utf8_lossy(&age.stderr));
    assert_eq!(driftgate::canonical::sha256_hex(&age.stdout), by_subject["sha256"].as_str().unwrap());
    // Raw by default: the subject's events as the platform sent them.
    let events: Vec<Value> =
        String::from_utf8(age.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(!events.is_empty() && events.iter().all(|e| e["user"]["id"] == DANA));
    assert!(events[0]["message"]["message"].as_str().unwrap().contains("dana.ortiz@acme.example"));
    let client: Value =
        serde_json::from_slice(&std::fs::read(plain.join(format!("oauth-clients/{COLLECTOR_CLIENT}.json"))).unwrap())
            .unwrap();
    assert_eq!(client["secret"], "<redacted>", "a client secret is never kept");
    let from_ip = std::fs::read_to_string(plain.join("audit/from-ip.ndjson")).unwrap();
    assert_eq!(from_ip.lines().count(), 1);
    let snapshot: Value = serde_json::from_slice(&std::fs::read(plain.join("snapshot.json")).unwrap()).unwrap();
    let types: Vec<&String> = snapshot["resources"].as_object().unwrap().keys().collect();
    assert_eq!(types, ["queues", "roles", "users"], "the types the events touched, and the subject's");

    // Tampering with any artifact, or with a custody entry, is found by both verifiers.
    let artifact = pkg.join(by_subject["stored_as"].as_str().unwrap());
    let t1 = d.path().join("t1");
    copy_tree(&store, &t1);
    let f = t1.join(artifact.strip_prefix(&store).unwrap());
    writable(&f);
    let mut bytes = std::fs::read(&f).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&f, bytes).unwrap();
    assert_eq!(verdict(&t1), (1, vec!["file_hash".to_string()]));

    let t2 = d.path().join("t2");
    copy_tree(&store, &t2);
    let f = t2.join(pkg.join("custody.jsonl").strip_prefix(&store).unwrap());
    writable(&f);
    let edited = custody.replacen("soc-analyst@acme.example", "soc-analyzt@acme.example", 1);
    std::fs::write(&f, edited).unwrap();
    let (code, codes) = verdict(&t2);
    assert_eq!(code, 1);
    assert!(codes.contains(&"file_hash".to_string()) && codes.contains(&"custody_chain".to_string()), "{codes:?}");
}

#[test]
fn masked_collection_masks_the_audit_trail_and_keeps_the_configuration() {
    let (emu, from, to) = incident_emulator();
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("evidence");
    let (code, stderr, out) = collect(&emu, &store, from, to, &["--mask"]);
    assert_eq!(code, 0, "{stderr}");
    let pkg = package_dir(&store, &out);
    let audit = std::fs::read_to_string(pkg.join("audit/by-subject.ndjson")).unwrap();
    assert!(!audit.is_empty());
    for pii in tenant::AUDIT_PII {
        assert!(!audit.contains(pii), "{pii} in a masked audit artifact");
    }
    let index: Value = serde_json::from_str(&std::fs::read_to_string(pkg.join("artifacts.json")).unwrap()).unwrap();
    assert_eq!(index["incident"]["masked"], true);
    let user = std::fs::read_to_string(pkg.join("subject/user.json")).unwrap();
    assert!(user.contains("dana.ortiz@acme.example"), "the configuration stays as it is");
    assert_eq!(verdict(&store), (0, vec![]));
}

#[test]
fn a_bad_recipient_or_window_exits_2_before_any_call() {
    let (emu, from, to) = incident_emulator();
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("evidence");
    let (code, stderr, _) = collect(&emu, &store, from, to, &["--recipient", "ssh-rsa AAAA"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("not an age X25519 public key"), "{stderr}");
    let (code, stderr, _) = collect(&emu, &store, to, from, &[]);
    assert_eq!(code, 2, "{stderr}");
    assert!(emu.log().is_empty(), "no call was made");
    assert!(!store.join("acme-corp.forensics").exists());
}

#[test]
fn a_custody_log_that_disagrees_with_its_package_is_found_even_when_signed() {
    // A package signed with the right key whose custody log was written wrong: the manifest
    // holds, the custody check does not.
    use driftgate::evidence::store::LocalStore;
    use driftgate::evidence::{write_package, PackageInput, Signer25519};
    use driftgate::forensics::custody::CustodyLog;
    let d = tempfile::tempdir().unwrap();
    let mut log = CustodyLog::new(json!({"collected_by": "x"}));
    log.record("opened", json!({"incident": "INC-1"}));
    log.record("received", json!({"artifact": "a.json", "sha256": "0".repeat(64)}));
    log.record("sealed", json!({"artifacts": 1}));
    let a = b"{}\n".to_vec();
    let sha = driftgate::canonical::sha256_hex(&a);
    let index = json!({"incident": {}, "artifacts": [{"artifact": "a.json", "stored_as": "a.json", "sha256": sha,
        "sha256_stored": sha, "bytes": 3, "encrypted": false, "source": "t", "received_at": "2026-11-22T00:00:00Z"}]});
    let files = std::collections::BTreeMap::from([
        ("a.json".to_string(), a),
        ("artifacts.json".to_string(), index.to_string().into_bytes()),
        ("custody.jsonl".to_string(), log.to_bytes()),
    ]);
    let key = Signer25519::from_file(&support::root().join("examples/keys/demo.key")).unwrap();
    let input = PackageInput {
        tenant: "acme-corp.forensics".into(),
        platform: "genesys-cloud".into(),
        run_id: "forensics-INC-1".into(),
        collection_id: "incident-INC-1".into(),
        files,
        collector: json!({}),
        endpoints: json!([]),
        record_counts: Default::default(),
        snapshot_sha256: String::new(),
        policy_bundle_sha256: String::new(),
        policy_bundle_revision: None,
        baseline_sha256: None,
        retention_days: 30,
        object: Default::default(),
        forensic: Some(json!({"incident_id": "INC-1"})),
    };
    write_package(&LocalStore::new(d.path()), &key, input, OffsetDateTime::now_utc()).unwrap();
    assert_eq!(verdict(d.path()), (1, vec!["custody_mismatch".to_string()]));
}

#[test]
fn forensic_objects_on_s3_are_under_legal_hold_with_the_incident_metadata() {
    use aws_sdk_s3::types::ObjectLockLegalHoldStatus;
    use driftgate::evidence::store::{S3Settings, S3Store};
    let moto = support::moto::Moto::start();
    let bucket = moto.bucket("forensics");
    let (emu, from, to) = incident_emulator();
    // The store's own default is no legal hold: forensic packages set it anyway.
    let settings = S3Settings {
        endpoint_url: Some(moto.endpoint.clone()),
        force_path_style: true,
        legal_hold: false,
        ..S3Settings::from_url(&format!("s3://{bucket}/evidence")).unwrap()
    };
    let store = S3Store::open(settings).unwrap();
    let key = driftgate::evidence::Signer25519::from_file(&support::root().join("examples/keys/demo.key")).unwrap();
    let creds =
        driftgate::collect::api::Credentials { client_id: CLIENT_ID.into(), client_secret: CLIENT_SECRET.into() };
    let api = driftgate::collect::connect(None, Some(&emu.url), None, creds.clone()).unwrap();
    let snapshot_from = driftgate::collect::CollectOptions {
        platform: driftgate::platform::Platform::GenesysCloud,
        region: None,
        tenant: "acme-corp".into(),
        base_url: Some(emu.url.clone()),
        auth_url: None,
        resources: Vec::new(),
        settle_minutes: None,
        concurrency: 2,
        auth: driftgate::collect::api::Auth::ClientCredentials(creds),
        tenant_id: None,
        identity_url: None,
        api_version: None,
        page_size: None,
        progress: false,
    };
    let opts = driftgate::forensics::ForensicOptions {
        tenant: "acme-corp".into(),
        platform: driftgate::platform::Platform::GenesysCloud,
        incident: "INC-9".into(),
        subject: DANA.into(),
        client: None,
        ip: None,
        from,
        to,
        recipients: Vec::new(),
        collected_by: "soc".into(),
        retention_days: 30,
        interval_hours: 24,
        platform_retention_days: 365,
        polling: driftgate::audit::query::Polling {
            base: std::time::Duration::from_millis(1),
            cap: std::time::Duration::from_millis(5),
            limit: std::time::Duration::from_secs(30),
        },
        witness: Vec::new(),
    };
    let out = driftgate::forensics::collect_incident(
        &api,
        &snapshot_from,
        &store,
        &key,
        None,
        &opts,
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    let (rt, c) = moto.client();
    let dir = out.manifest_key.trim_end_matches("manifest.json").to_string();
    for name in ["manifest.json", "custody.jsonl", "artifacts.json", "subject/user.json"] {
        let head = rt.block_on(c.head_object().bucket(&bucket).key(format!("evidence/{dir}{name}")).send()).unwrap();
        assert_eq!(head.object_lock_legal_hold_status(), Some(&ObjectLockLegalHoldStatus::On), "{name}");
        let meta = head.metadata().unwrap();
        assert_eq!(meta.get("incident-id").map(String::as_str), Some("INC-9"), "{name}");
        assert_eq!(meta.get("legal-hold").map(String::as_str), Some("true"));
        assert!(meta.contains_key("collected-at") && meta.contains_key("retention-until"));
    }
    let r = driftgate::evidence::verify_store(&store, &Default::default()).unwrap();
    assert!(r.ok(), "{}", r.to_text());
}

#[test]
fn the_part_of_the_window_past_the_platforms_retention_comes_from_the_archive_without_duplicates() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("evidence");
    let config = support::write_config(
        d.path(),
        store.to_str().unwrap(),
        "[audit]\nplatform_retention_days = 2\nretention_margin_days = 1\nbackfill_pause_ms = 0\n",
    );
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let start = now - time::Duration::days(5);
    // Days 5 to 3 ago were archived while the platform still had them.
    let old = Emulator::start(&tenant::genesys(40, 3), Faults::default());
    let mut past = tenant::audit_events(start, 60, 2, 21);
    for e in past.iter_mut().step_by(3) {
        e["user"]["id"] = json!("someone-else");
    }
    old.add_audit_events(past.clone());
    let pull = driftgate()
        .args(["audit", "pull", "--config"])
        .arg(&config)
        .args(["--platform", "genesys-cloud", "--tenant", "acme-corp", "--backfill", "--base-url", &old.url])
        .args(["--since", &rfc(start), "--until", &rfc(start + time::Duration::hours(60))])
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        .env("DRIFTGATE_MASK_KEY", "forensic-mask-key-0123456789")
        .env("DRIFTGATE_AUDIT_POLL_MS", "5")
        .output()
        .unwrap();
    assert!(matches!(pull.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&pull.stderr));
    // The platform now serves only the last two days, and one archived event again (the same id).
    let emu = Emulator::start(&tenant::genesys(40, 3), Faults::default());
    let mut recent = tenant::audit_events(now - time::Duration::hours(40), 30, 2, 22);
    let mut again = past.iter().rev().find(|e| e["user"]["id"] == DANA).unwrap().clone();
    again["eventDate"] = json!(rfc(now - time::Duration::hours(30)));
    recent.push(again.clone());
    emu.add_audit_events(recent.clone());

    let (code, stderr, out) = collect(&emu, &store, start, now, &["--config", config.to_str().unwrap()]);
    assert_eq!(code, 0, "{stderr}");
    let pkg = package_dir(&store, &out);
    let by_subject = std::fs::read_to_string(pkg.join("audit/by-subject.ndjson")).unwrap();
    let ids: Vec<String> = by_subject
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["id"].as_str().unwrap().to_string())
        .collect();
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "no event twice");
    let by_dana = |list: &[Value]| -> std::collections::BTreeSet<String> {
        list.iter().filter(|e| e["user"]["id"] == DANA).map(|e| e["id"].as_str().unwrap().to_string()).collect()
    };
    let want: std::collections::BTreeSet<String> = by_dana(&past).union(&by_dana(&recent)).cloned().collect();
    assert_eq!(ids.iter().cloned().collect::<std::collections::BTreeSet<_>>(), want);
    // Live events are raw, archived ones as the archive holds them (minimized).
    let line_of = |id: &str| by_subject.lines().find(|l| l.contains(id)).unwrap().to_string();
    assert!(line_of(again["id"].as_str().unwrap()).contains("Mozilla/5.0"), "the live copy wins");
    let archived_id = by_dana(&past).into_iter().find(|id| id != again["id"].as_str().unwrap()).unwrap();
    assert!(!line_of(&archived_id).contains("Mozilla/5.0"));

    // The custody log says which events came from which archived batch, by manifest hash.
    let custody: Vec<Value> = std::fs::read_to_string(pkg.join("custody.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let rec = custody
        .iter()
        .find(|e| e["action"] == "archive" && e["artifact"] == "audit/by-subject.ndjson")
        .unwrap_or_else(|| panic!("{custody:?}"));
    let listed: std::collections::BTreeSet<String> = rec["batches"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|b| b["events"].as_array().unwrap().iter().map(|e| e.as_str().unwrap().to_string()))
        .collect();
    let mut from_archive = by_dana(&past);
    from_archive.remove(again["id"].as_str().unwrap());
    assert_eq!(listed, from_archive);
    let batches = driftgate::audit::batches(&driftgate::evidence::store::LocalStore::new(&store), "acme-corp").unwrap();
    for b in rec["batches"].as_array().unwrap() {
        let seq = b["sequence"].as_u64().unwrap();
        let manifest = batches.iter().find(|x| x.sequence == seq).unwrap();
        let bytes = std::fs::read(store.join(&manifest.manifest_key)).unwrap();
        assert_eq!(b["manifest_sha256"], driftgate::canonical::sha256_hex(&bytes));
    }
    assert_eq!(rec["live_events"].as_u64().unwrap() as usize, by_dana(&recent).len());
    // What the archive does not cover is said: the half day between the pull and the retention edge.
    let gaps = rec["not_covered"].as_array().unwrap();
    assert!(gaps.iter().any(|g| g["from"] == rfc(start + time::Duration::hours(60))), "{gaps:?}");
    assert_eq!(verdict(&store), (0, vec![]));
}
