//! `driftgate audit pull` against the emulator's audit trail: every event stored once however
//! often and however overlapping the pulls, nothing lost or doubled by a crash at any write,
//! 429/401 mid-pagination, minimization and masking, backfill, status and gaps, the retention
//! guard, the Splunk sink, and the checkpoint reaching the CC7.2 rule.

mod support;

use driftgate::audit::mask::{MaskKey, Masker};
use driftgate::audit::{pull, AuditConfig, PullOptions};
use driftgate::collect::api::Credentials;
use driftgate::evidence::store::LocalStore;
use driftgate::evidence::{verify_store, Signer25519, VerifyOptions};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use support::genesys::{Emulator, Faults, CLIENT_ID, CLIENT_SECRET};
use support::{driftgate, tenant, walk};
use time::OffsetDateTime;

const MASK_KEY: &str = "test-mask-key-0123456789abcdef";
const TENANT: &str = "acme-corp";

fn hour_floor(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_minute(0).unwrap().replace_second(0).unwrap().replace_nanosecond(0).unwrap()
}

fn rfc(t: OffsetDateTime) -> String {
    driftgate::clock::rfc3339(t)
}

/// An emulator whose audit trail holds `hours` hours of events ending ten minutes ago.
fn emulator(hours: i64, per_hour: usize, faults: Faults) -> (Emulator, OffsetDateTime) {
    let emu = Emulator::start(&tenant::genesys(0, 1), faults);
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let from = now - time::Duration::hours(hours) - time::Duration::minutes(10);
    emu.add_audit_events(tenant::audit_events(from, hours, per_hour, 42));
    (emu, from)
}

/// `audit pull` with flags only, as the outside tests run it.
fn pull_cmd(emu: &Emulator, store: &Path, extra: &[&str]) -> (i32, String, Value) {
    let out = driftgate()
        .args(["audit", "pull", "--platform", "genesys-cloud", "--tenant", TENANT, "--format", "json"])
        .args(["--base-url", &emu.url, "--auth-url", &format!("{}/oauth/token", emu.url)])
        .arg("--store")
        .arg(store)
        .args(extra)
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        .env("DRIFTGATE_MASK_KEY", MASK_KEY)
        .env("DRIFTGATE_SIGNING_KEY", std::fs::read_to_string(support::root().join("examples/keys/demo.key")).unwrap())
        .env("DRIFTGATE_RETRY_BASE_MS", "5")
        .env("DRIFTGATE_AUDIT_POLL_MS", "5")
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.code().unwrap_or(-1), stderr, json)
}

/// Every event of the batches committed to the tenant's audit stream, and the raw text of
/// every file of the stream (committed or not).
fn stored(store: &Path) -> (Vec<Value>, String) {
    let mut events = Vec::new();
    for b in driftgate::audit::batches(&LocalStore::new(store), TENANT).unwrap() {
        let p = store.join(b.manifest_key.replace("manifest.json", "events.ndjson"));
        let t = std::fs::read_to_string(&p).unwrap();
        events.extend(t.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()));
    }
    let mut text = String::new();
    for p in walk(&store.join(format!("{TENANT}.audit"))) {
        text.push_str(&std::fs::read_to_string(&p).unwrap());
    }
    (events, text)
}

/// The ids of the emulator's events in `[from, to)`.
fn truth(emu: &Emulator, from: OffsetDateTime, to: OffsetDateTime) -> BTreeSet<String> {
    emu.audit_events()
        .iter()
        .filter(|e| {
            let d =
                OffsetDateTime::parse(e["eventDate"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
                    .unwrap();
            d >= from && d < to
        })
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect()
}

/// Each stored id exactly once, and exactly the expected set.
fn assert_exactly_once(events: &[Value], want: &BTreeSet<String>) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for e in events {
        *counts.entry(e["id"].as_str().unwrap()).or_default() += 1;
    }
    let dup: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(dup.is_empty(), "stored more than once: {dup:?}");
    let got: BTreeSet<String> = counts.keys().map(|s| s.to_string()).collect();
    assert_eq!(got.len(), want.len(), "missing: {:?}", want.difference(&got).take(3).collect::<Vec<_>>());
    assert_eq!(&got, want);
}

fn verify_ok(store: &Path) {
    let out = driftgate().args(["evidence", "verify"]).arg(store).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stdout));
    let py = std::process::Command::new("python3").arg(store.join("verify_evidence.py")).arg(store).output().unwrap();
    assert!(py.status.success(), "python verifier: {}", String::from_utf8_lossy(&py.stdout));
}

#[test]
fn repeated_and_overlapping_pulls_store_every_event_once_minimized_and_masked() {
    let (emu, from) = emulator(50, 30, Faults::default());
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("evidence");
    let since = rfc(from);
    let (code, stderr, first) = pull_cmd(&emu, &store, &["--since", &since]);
    assert_eq!(code, 0, "{stderr}");
    let batches = first[0]["batches"].as_array().unwrap();
    assert_eq!(batches.len(), 3, "51 hours in day-sized intervals");
    let until = OffsetDateTime::parse(
        first[0]["checkpoint_after"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let want = truth(&emu, from, until);
    assert_eq!(want.len(), 1500);
    let (events, text) = stored(&store);
    assert_exactly_once(&events, &want);

    // Again from the checkpoint (the overlap re-reads two hours), and the whole window again.
    let (code, stderr, second) = pull_cmd(&emu, &store, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(second[0]["batches"][0]["duplicates"].as_u64().unwrap() > 0, "the overlap re-read stored events");
    let (code, stderr, third) = pull_cmd(&emu, &store, &["--since", &since]);
    assert_eq!(code, 0, "{stderr}");
    assert!(third[0]["batches"].as_array().unwrap().iter().all(|b| b["written"] == 0));
    // Re-reading an old window alone never moves the checkpoint back.
    let old_end = rfc(from + time::Duration::hours(20));
    let (code, stderr, fourth) = pull_cmd(&emu, &store, &["--since", &since, "--until", &old_end]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(fourth[0]["checkpoint_after"], third[0]["checkpoint_after"]);
    let (events, _) = stored(&store);
    assert_exactly_once(&events, &want);

    // Minimized to the allowlist; masked; ids, dates, IPs and versions intact.
    let allowed: BTreeSet<&str> =
        driftgate::audit::mask::DEFAULT_FIELDS.iter().map(|f| f.split('.').next().unwrap()).collect();
    for e in &events {
        for k in e.as_object().unwrap().keys() {
            assert!(allowed.contains(k.as_str()), "field {k} survived minimization");
        }
        assert!(e["user"].get("name").is_none() && e["entity"].get("selfUri").is_none());
        assert_eq!(e["entity"]["name"], "***@acme.example");
        assert!(e["propertyChanges"][0]["newValues"][0].as_str().unwrap().starts_with("tel:"));
        assert_eq!(e["propertyChanges"][1]["newValues"][0], "1.2.4");
        assert!(e["remoteIp"][0].as_str().unwrap().starts_with("203.0.113."));
        assert_eq!(e["id"].as_str().unwrap().len(), 36);
    }
    for pii in tenant::AUDIT_PII {
        assert!(!text.contains(pii), "{pii:?} reached the store");
    }
    // Each batch records its masking policy and key fingerprint, never the key.
    let batch = walk(&store).into_iter().find(|p| p.file_name().unwrap() == "batch.json").unwrap();
    let batch: Value = serde_json::from_str(&std::fs::read_to_string(batch).unwrap()).unwrap();
    assert_eq!(batch["masking"]["policy"], "driftgate-mask/1");
    assert!(batch["masking"]["key_fingerprint"].as_str().unwrap().starts_with("hmac-sha256:"));
    assert!(!text.contains(MASK_KEY));
    assert_eq!(batch["queries"][0]["endpoint"], "POST /api/v2/audits/query");
    verify_ok(&store);
}

#[test]
fn late_events_inside_the_overlap_are_picked_up_once() {
    let (emu, from) = emulator(6, 20, Faults::default());
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("evidence");
    let (code, stderr, first) = pull_cmd(&emu, &store, &["--since", &rfc(from)]);
    assert_eq!(code, 0, "{stderr}");
    let cp = OffsetDateTime::parse(
        first[0]["checkpoint_after"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    // Two events arrive late, dated half an hour before the checkpoint.
    let mut late = tenant::audit_events(hour_floor(cp) - time::Duration::hours(1), 1, 2, 7);
    for e in &mut late {
        e["eventDate"] = json!(rfc(cp - time::Duration::minutes(30)));
    }
    emu.add_audit_events(late);
    let (code, stderr, second) = pull_cmd(&emu, &store, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(second[0]["batches"][0]["written"], 2, "{second}");
    let (events, _) = stored(&store);
    assert_exactly_once(&events, &truth(&emu, from, cp + time::Duration::minutes(1)));
}

fn library_pull(
    emu: &Emulator,
    store: &dyn driftgate::evidence::store::Store,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> driftgate::Result<driftgate::audit::PullOutcome> {
    let api = driftgate::collect::connect(
        None,
        Some(&emu.url),
        None,
        Credentials { client_id: CLIENT_ID.into(), client_secret: CLIENT_SECRET.into() },
    )?;
    let key = Signer25519::from_file(&support::root().join("examples/keys/demo.key"))?;
    let masker = Masker::new(MaskKey::new(MASK_KEY.as_bytes().to_vec(), "test")?, &[], &[])?;
    let opts = PullOptions {
        tenant: TENANT.into(),
        platform: driftgate::platform::Platform::GenesysCloud,
        since: Some(from),
        until: Some(to),
        backfill: false,
        config: AuditConfig { interval_hours: 12, ..Default::default() },
        retention_days: 30,
        polling: driftgate::audit::query::Polling {
            base: std::time::Duration::from_millis(1),
            cap: std::time::Duration::from_millis(5),
            limit: std::time::Duration::from_secs(30),
        },
        alerts: Vec::new(),
        witness: Vec::new(),
    };
    pull(&api, store, &key, &masker, &opts, OffsetDateTime::now_utc())
}

#[test]
fn a_crash_at_any_write_loses_nothing_and_duplicates_nothing() {
    let (emu, from) = emulator(24, 10, Faults::default());
    let to = from + time::Duration::hours(24);
    let want = truth(&emu, from, to);
    // Count the writes of a clean pull (two 12-hour batches).
    let probe = tempfile::tempdir().unwrap();
    let counting = support::Crashing::new(probe.path(), usize::MAX);
    library_pull(&emu, &counting, from, to).unwrap();
    let writes = counting.writes();
    assert!(writes >= 10, "{writes}");
    for fail_at in 1..=writes {
        let d = tempfile::tempdir().unwrap();
        let crashing = support::Crashing::new(d.path(), fail_at);
        assert!(library_pull(&emu, &crashing, from, to).is_err(), "write {fail_at} did not fail");
        // The next pull, from the checkpoint the crash left (or from the start).
        let cp = driftgate::audit::read_checkpoint(&LocalStore::new(d.path()), TENANT).unwrap();
        let resume = cp.map_or(from, |c| {
            OffsetDateTime::parse(&c.checkpoint, &time::format_description::well_known::Rfc3339).unwrap()
                - time::Duration::hours(2)
        });
        library_pull(&emu, &LocalStore::new(d.path()), resume.max(from), to)
            .unwrap_or_else(|e| panic!("after a crash at write {fail_at}: {e}"));
        let (events, _) = stored(d.path());
        assert_exactly_once(&events, &want);
        let report = verify_store(&LocalStore::new(d.path()), &VerifyOptions::default()).unwrap();
        assert!(report.ok(), "after a crash at write {fail_at}: {}", report.to_text());
    }
}

#[test]
fn rate_limits_and_a_revoked_token_mid_pagination_lose_nothing() {
    let faults =
        Faults { rate_limit_every: Some(3), retry_after: Some(0), revoke_tokens_after: Some(6), ..Default::default() };
    let (emu, from) = emulator(30, 40, faults);
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("evidence");
    let (code, stderr, out) = pull_cmd(&emu, &store, &["--since", &rfc(from)]);
    assert_eq!(code, 0, "{stderr}");
    assert!(emu.count(429) >= 3 && emu.count(401) == 1, "faults injected");
    assert!(emu.log().iter().any(|e| e.status == 429 && e.path.contains("/results?pageSize=500&cursor=")));
    let cp = OffsetDateTime::parse(
        out[0]["checkpoint_after"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let (events, _) = stored(&store);
    assert_exactly_once(&events, &truth(&emu, from, cp));
}

fn config(dir: &Path, emu: &Emulator, audit: &str) -> PathBuf {
    let tenants = format!(
        "[[tenants]]\nname = \"acme-corp\"\nplatform = \"genesys-cloud\"\nbase_url = \"{}\"\n\n[audit]\n{audit}\n",
        emu.url
    );
    support::write_config(dir, "evidence", &tenants)
}

fn audit_cmd(cfg: &Path, args: &[&str]) -> (i32, String, String) {
    let out = driftgate()
        .arg("audit")
        .args(args)
        .arg("--config")
        .arg(cfg)
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        .env("DRIFTGATE_MASK_KEY", MASK_KEY)
        .env("DRIFTGATE_AUDIT_POLL_MS", "5")
        .env("DRIFTGATE_SPLUNK_TOKEN", "hec-token-1234")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_long_outage_is_pulled_in_throttled_resumable_steps_and_status_shows_gaps() {
    let (emu, from) = emulator(24 * 6, 2, Faults::default());
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), &emu, "max_intervals = 2\nbackfill_pause_ms = 10");
    let since = rfc(from);
    let (code, _, err) = audit_cmd(&cfg, &["pull", "--since", &since]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("interval(s) still to pull"), "{err}");
    let (code, out, _) = audit_cmd(&cfg, &["status", "--format", "json"]);
    let status: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 0, "{out}");
    assert_eq!(status[0]["batches"], 2);
    assert!(status[0]["lag_hours"].as_f64().unwrap() > 24.0 * 4.0);
    // The backfill continues from the checkpoint to now.
    let (code, _, err) = audit_cmd(&cfg, &["pull", "--backfill"]);
    assert_eq!(code, 0, "{err}");
    let (code, out, _) = audit_cmd(&cfg, &["status", "--format", "json"]);
    let status: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(code, 0, "{out}");
    assert_eq!(status[0]["gaps"], json!([]));
    assert!(status[0]["lag_hours"].as_f64().unwrap() < 1.0);
    assert_eq!(status[0]["events"], 24 * 6 * 2);

    // A second store with a window skipped: status names the gap and exits 1.
    let d2 = tempfile::tempdir().unwrap();
    let cfg2 = config(d2.path(), &emu, "");
    let day = |n: i64| rfc(from + time::Duration::hours(24 * n));
    assert_eq!(audit_cmd(&cfg2, &["pull", "--since", &day(0), "--until", &day(1)]).0, 0);
    assert_eq!(audit_cmd(&cfg2, &["pull", "--since", &day(2), "--until", &day(3)]).0, 0);
    let (code, out, _) = audit_cmd(&cfg2, &["status"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains(&format!("GAP never collected: {} → {}", day(1), day(2))), "{out}");
}

#[test]
fn the_retention_guard_warns_and_alerts() {
    let (emu, _) = emulator(1, 1, Faults::default());
    let hook = support::http::Server::start(vec![], support::http::Answer::Status(200, vec![]));
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), &emu, "max_intervals = 1");
    let mut text = std::fs::read_to_string(&cfg).unwrap();
    text.push_str(&format!("\n[[alerts]]\nkind = \"webhook\"\nurl = \"{}/hook\"\n", hook.url));
    std::fs::write(&cfg, text).unwrap();
    let since = rfc(OffsetDateTime::now_utc() - time::Duration::days(340));
    let (code, _, err) = audit_cmd(&cfg, &["pull", "--since", &since]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("older than the platform's retention"), "{err}");
    let reqs = hook.requests();
    assert_eq!(reqs.len(), 1);
    let body: Value = serde_json::from_str(&reqs[0].body).unwrap();
    assert_eq!(body["kind"], "driftgate.audit_retention");
}

#[test]
fn batches_reach_splunk_masked_with_the_hec_token() {
    let (emu, from) = emulator(3, 300, Faults::default());
    let hec = support::http::Server::start(vec![], support::http::Answer::Status(200, vec![]));
    let d = tempfile::tempdir().unwrap();
    let sink = format!(
        "[[audit.sinks]]\nkind = \"splunk\"\nurl = \"{}/services/collector/event\"\ntoken_env = \"DRIFTGATE_SPLUNK_TOKEN\"\nsourcetype = \"genesys:audit\"",
        hec.url
    );
    let cfg = config(d.path(), &emu, &sink);
    let (code, _, err) = audit_cmd(&cfg, &["pull", "--since", &rfc(from)]);
    assert_eq!(code, 0, "{err}");
    let reqs = hec.requests();
    assert_eq!(reqs.len(), 2, "900 events in batches of at most 500");
    let mut n = 0;
    for r in &reqs {
        assert_eq!(r.header("authorization"), Some("Splunk hec-token-1234"));
        for line in r.body.lines() {
            let e: Value = serde_json::from_str(line).unwrap();
            assert_eq!(e["sourcetype"], "genesys:audit");
            assert!(e["time"].as_i64().unwrap() > 0);
            n += 1;
        }
        for pii in tenant::AUDIT_PII {
            assert!(!r.body.contains(pii), "{pii} reached Splunk");
        }
    }
    assert_eq!(n, 900);
}

#[test]
fn run_hands_the_audit_checkpoint_to_the_cc7_2_rule() {
    let (emu, from) = emulator(2, 2, Faults::default());
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), &emu, "");
    assert_eq!(audit_cmd(&cfg, &["pull", "--since", &rfc(from)]).0, 0);
    let out = driftgate().args(["run", "--config"]).arg(&cfg).args(["--snapshot", support::APPROVED]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report = walk(&d.path().join("evidence").join(TENANT))
        .into_iter()
        .find(|p| p.file_name().unwrap() == "report.json")
        .unwrap();
    let report: Value = serde_json::from_str(&std::fs::read_to_string(report).unwrap()).unwrap();
    let rule = report["rules"].as_array().unwrap().iter().find(|r| r["id"] == "GC-CC7.2-01").unwrap().clone();
    assert_eq!(rule["status"], "PASS", "{rule}");
}

#[test]
fn no_masking_key_or_a_failed_query_exits_2_and_the_checkpoint_stays() {
    let (emu, from) = emulator(2, 2, Faults::default());
    let d = tempfile::tempdir().unwrap();
    let cfg = config(d.path(), &emu, "");
    let out = driftgate()
        .args(["audit", "pull", "--config"])
        .arg(&cfg)
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        .env_remove("DRIFTGATE_MASK_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DRIFTGATE_MASK_KEY is not set"));
    assert!(!d.path().join("evidence").join(format!("{TENANT}.audit")).exists());

    let (emu, _) = emulator(2, 2, Faults { audit_queries_fail: true, ..Default::default() });
    let cfg = config(d.path(), &emu, "");
    let (code, _, err) = audit_cmd(&cfg, &["pull", "--since", &rfc(from)]);
    assert_eq!(code, 2, "{err}");
    let flat: String = err.replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains("the platform reports the query failed"), "{err}");
    assert!(driftgate::audit::read_checkpoint(&LocalStore::new(d.path().join("evidence")), TENANT).unwrap().is_none());
}
