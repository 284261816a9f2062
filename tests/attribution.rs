//! Who changed it, end to end: collect → audit pull → check, against the emulator's tenant
//! and audit trail. Each change of the example's drift is attributed to the audit event that
//! made it; a change no event explains is `unattributed` and a finding; an archive that does
//! not cover the window, or holds a batch that fails its check, claims nothing; `run` uses its
//! own store's audit stream; policies see `changed_by`; `audit search` filters, reports what it
//! could not use and what it does not cover, and keeps platform text inert.

mod support;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use support::genesys::{Emulator, Faults, CLIENT_ID, CLIENT_SECRET};
use support::{driftgate, read_json, root, tenant};
use time::OffsetDateTime;

const TENANT: &str = "acme-corp";
const PIPELINE: &str = "5f3c2b1a-9d8e-4c7b-a6f5-0c1d2e3f4a5b";
const MASK_KEY: &str = "test-mask-key-0123456789abcdef";

fn rfc(t: OffsetDateTime) -> String {
    driftgate::clock::rfc3339(t)
}

fn api(emu: &Emulator, cmd: &mut assert_cmd::Command) {
    cmd.args(["--base-url", &emu.url, "--auth-url", &format!("{}/oauth/token", emu.url)])
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        .env("DRIFTGATE_RETRY_BASE_MS", "5")
        .env("DRIFTGATE_AUDIT_POLL_MS", "5")
        .env("DRIFTGATE_MASK_KEY", MASK_KEY)
        .env("DRIFTGATE_SIGNING_KEY", std::fs::read_to_string(root().join("examples/keys/demo.key")).unwrap())
        .timeout(std::time::Duration::from_secs(180));
}

fn collect(emu: &Emulator, out: &Path) {
    let mut c = driftgate();
    c.args(["collect", "--platform", "genesys-cloud", "--region", "eu-west-1", "--tenant", TENANT]);
    api(emu, &mut c);
    let o = c.arg("-o").arg(out).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
}

fn pull(emu: &Emulator, store: &Path, since: OffsetDateTime) {
    let mut c = driftgate();
    c.args(["audit", "pull", "--platform", "genesys-cloud", "--tenant", TENANT, "--backfill"])
        .args(["--since", &rfc(since)])
        .arg("--store")
        .arg(store);
    api(emu, &mut c);
    let o = c.output().unwrap();
    assert!(matches!(o.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The example's audit events (`examples/genesys/acme-corp.audit-events.json`), moved so that
/// the first falls ten minutes after `from`, keeping their spacing.
fn example_events(from: OffsetDateTime) -> Vec<Value> {
    let doc = read_json("examples/genesys/acme-corp.audit-events.json");
    let parse =
        |v: &Value| OffsetDateTime::parse(v.as_str().unwrap(), &time::format_description::well_known::Rfc3339).unwrap();
    let events = doc["events"].as_array().unwrap().clone();
    let first = events.iter().map(|e| parse(&e["eventDate"])).min().unwrap();
    let span = events.iter().map(|e| parse(&e["eventDate"])).max().unwrap() - first;
    // The whole week of the example is squeezed into one hour.
    let scale = 3600.0 / span.as_seconds_f64();
    events
        .into_iter()
        .map(|mut e| {
            let offset = (parse(&e["eventDate"]) - first).as_seconds_f64() * scale;
            e["eventDate"] = json!(rfc(from + time::Duration::minutes(10) + time::Duration::seconds(offset as i64)));
            e
        })
        .collect()
}

/// A baseline collected from the approved tenant, dated `approved_at`; the drifted example
/// served with the example's audit events after `approved_at`; its snapshot collected now.
struct World {
    dir: tempfile::TempDir,
    baseline: PathBuf,
    snapshot: PathBuf,
    emu: Emulator,
    approved_at: OffsetDateTime,
}

fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let approved_at = now - time::Duration::hours(3);
    let approved = Emulator::start(&tenant::genesys(0, 1), Faults::default());
    let first = dir.path().join("approved.json");
    collect(&approved, &first);
    let baseline = dir.path().join("baseline.json");
    let o = driftgate().args(["baseline", "update"]).arg(&first).arg("--baseline").arg(&baseline).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let mut b: Value = serde_json::from_str(&std::fs::read_to_string(&baseline).unwrap()).unwrap();
    b["metadata"]["collected_at"] = json!(rfc(approved_at));
    std::fs::write(&baseline, driftgate::canonical::to_pretty(&b)).unwrap();

    let emu = Emulator::start(&read_json("examples/genesys/acme-corp.drifted.json"), Faults::default());
    emu.add_audit_events(example_events(approved_at));
    let snapshot = dir.path().join("drifted.json");
    collect(&emu, &snapshot);
    // The window closes at the end of the collection's second: a pull must reach past it.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    World { dir, baseline, snapshot, emu, approved_at }
}

fn check(w: &World, extra: &[&str]) -> (i32, Value, String) {
    let o = driftgate()
        .arg("check")
        .arg(&w.snapshot)
        .arg("--baseline")
        .arg(&w.baseline)
        .args(["--format", "json"])
        .args(extra)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    (o.status.code().unwrap_or(-1), serde_json::from_slice(&o.stdout).unwrap_or(Value::Null), stderr)
}

fn record<'a>(report: &'a Value, rtype: &str, path: &str) -> &'a Value {
    report["drift"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["resource_type"] == rtype && d["path"] == path)
        .unwrap_or_else(|| panic!("no drift record {rtype} {path}: {}", report["drift"]))
}

fn findings(report: &Value, id: &str) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == id)
        .map(|f| {
            format!(
                "{}{}",
                f["resource"]["type"].as_str().unwrap_or(""),
                f["path"].as_str().map(|p| format!(" {p}")).unwrap_or_default()
            )
        })
        .collect()
}

fn event_of(record: &Value) -> (String, String, String) {
    let e = &record["changed_by"][0];
    (
        e["event_id"].as_str().unwrap_or("").to_string(),
        e["user"]["name"].as_str().unwrap_or("").to_string(),
        e["client_id"].as_str().unwrap_or("").to_string(),
    )
}

#[test]
fn each_change_is_attributed_to_the_event_that_made_it_and_an_unexplained_one_is_a_finding() {
    let w = world();
    let store = w.dir.path().join("store");
    pull(&w.emu, &store, w.approved_at - time::Duration::hours(1));
    let dump = w.dir.path().join("dump");
    let audit = store.to_str().unwrap();
    let (code, report, stderr) = check(&w, &["--audit-store", audit, "--dump-input", dump.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    let a = &report["attribution"];
    assert_eq!(a["covered"], true, "{a}");
    assert_eq!(
        (a["attributed"].as_u64(), a["unattributed"].as_u64(), a["not_covered_records"].as_u64()),
        (Some(13), Some(1), Some(0))
    );
    assert_eq!(a["from"], rfc(w.approved_at));
    assert_eq!(a["from_source"], "baseline_collected_at");
    assert_eq!(a["key_pinned"], false);

    let ev = |n: u32| format!("a0d1e5f0-0000-4000-8000-{n:012}");
    let org = record(&report, "authentication_settings", "/passwordRequirements/minimumLength");
    assert_eq!(event_of(org), (ev(4), "Dana Ortiz".into(), "7de3af06-5a0e-4a2a-b7f1-2e7a3c9d1f00".into()));
    assert_eq!(org["changed_by"][0]["service"], "Directory");
    assert_eq!(org["changed_by"][0]["action"], "Update");
    assert_eq!(org["changed_by"][0]["properties"][0]["property"], "passwordRequirements.minimumLength");
    assert!(org.get("unattributed").is_none() && org.get("attribution").is_none(), "{org}");
    let client = record(&report, "oauth_clients", "");
    assert_eq!(event_of(client), (ev(6), "Jonas Berg".into(), "7de3af06-5a0e-4a2a-b7f1-2e7a3c9d1f00".into()));
    // The user's new admin grant: the event on the user, by Dana Ortiz in the admin UI.
    let grant = record(&report, "users", "/authorization/roles/6fced11d-2bd8-41e6-847a-8387cdde8d51");
    assert_eq!(event_of(grant).0, ev(7));
    // The pipeline's changes: no user, its client; the pack approves them.
    for (rtype, path, n) in [("queues", "/routingRules/0", 1), ("skills", "", 2), ("trunks", "/proxyAddressList/0", 3)]
    {
        let r = record(&report, rtype, path);
        assert_eq!(event_of(r), (ev(n), String::new(), PIPELINE.to_string()), "{rtype}");
        assert!(r["changed_by"][0]["user"]["id"].is_null());
    }
    // The role's new permission: only a failed event on it, which changed nothing.
    let role = record(&report, "roles", "/permissions");
    assert_eq!(role["unattributed"], true);
    assert_eq!(role["changed_by"], json!([]));
    assert_eq!(findings(&report, "GC-CC7.2-03"), vec!["roles /permissions"]);
    let mut unapproved = findings(&report, "GC-CC8.1-01");
    unapproved.sort();
    assert_eq!(
        unapproved,
        vec![
            "authentication_settings /passwordRequirements/minimumLength",
            "flows /publishedVersion/id",
            "integrations ",
            "media_retention_policies ",
            "oauth_clients ",
            "queues /suppressInQueueCallRecording",
            "roles /permissions",
            "trustees ",
            "users /authorization/roles/6fced11d-2bd8-41e6-847a-8387cdde8d51"
        ]
    );
    // The broader pack's changes, each by Tom Reed in the admin UI.
    for (rtype, path, n) in [
        ("flows", "/publishedVersion/id", 101),
        ("integrations", "", 102),
        ("media_retention_policies", "", 103),
        ("queues", "/suppressInQueueCallRecording", 104),
        ("trustees", "", 105),
    ] {
        let r = record(&report, rtype, path);
        assert_eq!(event_of(r), (ev(n), "Tom Reed".into(), "7de3af06-5a0e-4a2a-b7f1-2e7a3c9d1f00".into()), "{rtype}");
    }
    // The archive is minimized (no user names): the names come from the snapshot's users.
    for b in driftgate::audit::batches(&driftgate::evidence::store::LocalStore::new(&store), TENANT).unwrap() {
        let text =
            std::fs::read_to_string(store.join(b.manifest_key.replace("manifest.json", "events.ndjson"))).unwrap();
        for line in text.lines() {
            let e: Value = serde_json::from_str(line).unwrap();
            assert!(e["user"].get("name").is_none(), "{line}");
        }
    }

    // The policies saw the same.
    let data: Value = serde_json::from_str(&std::fs::read_to_string(dump.join("data.json")).unwrap()).unwrap();
    let seen = data["driftgate"]["drift"].as_array().unwrap();
    assert_eq!(seen.len(), report["drift"].as_array().unwrap().len());
    assert!(seen.iter().any(|d| d["changed_by"][0]["event_id"] == ev(4)));
    assert!(seen.iter().any(|d| d["unattributed"] == true));

    // Every renderer says who.
    for (format, want) in [
        (
            "text",
            format!(
                "changed by Dana Ortiz via client 7de3af06-5a0e-4a2a-b7f1-2e7a3c9d1f00 at {} (event {})",
                org["changed_by"][0]["at"].as_str().unwrap(),
                ev(4)
            ),
        ),
        ("markdown", format!("(event {})", ev(4))),
        ("html", format!("(event {})", ev(4))),
        ("csv", format!("(event {})", ev(4))),
        ("sarif", format!("(event {})", ev(4))),
        ("junit", format!("(event {})", ev(6))),
    ] {
        let o = driftgate()
            .arg("check")
            .arg(&w.snapshot)
            .arg("--baseline")
            .arg(&w.baseline)
            .args(["--format", format, "--audit-store", audit])
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains(&want), "{format}: {want}\n{out}");
        assert!(out.contains("unattributed") || out.contains("no audit event"), "{format}");
    }

    // `run` attributes from its own store's audit stream, and the package holds it.
    let o = driftgate()
        .args(["run", "--snapshot"])
        .arg(&w.snapshot)
        .arg("--baseline")
        .arg(&w.baseline)
        .arg("--store")
        .arg(&store)
        .env("DRIFTGATE_SIGNING_KEY", std::fs::read_to_string(root().join("examples/keys/demo.key")).unwrap())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(&format!("(event {})", ev(7))), "{text}");
    let package = support::walk(&store.join(TENANT)).into_iter().find(|p| p.ends_with("report.json")).unwrap();
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(package).unwrap()).unwrap();
    assert_eq!(stored["attribution"]["key_pinned"], true, "the run's own key");
    assert_eq!(record(&stored, "roles", "/permissions")["unattributed"], true);
}

#[test]
fn an_archive_that_does_not_cover_the_window_or_fails_its_check_claims_nothing() {
    let w = world();
    // Collected only from half an hour after the approval: the window's start is not covered.
    let late = w.dir.path().join("late");
    pull(&w.emu, &late, w.approved_at + time::Duration::minutes(30));
    let (code, report, stderr) = check(&w, &["--audit-store", late.to_str().unwrap()]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(report["attribution"]["covered"], false);
    assert_eq!(report["attribution"]["not_covered"][0][0], rfc(w.approved_at));
    for d in report["drift"].as_array().unwrap() {
        assert_eq!(d["attribution"], "not_covered", "{d}");
        assert!(d.get("changed_by").is_none() && d.get("unattributed").is_none(), "{d}");
    }
    assert!(findings(&report, "GC-CC7.2-03").is_empty());
    // Nothing is approved without attribution: every controlled change is a finding.
    assert_eq!(findings(&report, "GC-CC8.1-01").len(), 14);

    // A covering archive in which one batch was altered: that batch is not used, its interval
    // is a gap, and nothing is claimed.
    let store = w.dir.path().join("store");
    pull(&w.emu, &store, w.approved_at - time::Duration::hours(1));
    let batches = driftgate::audit::batches(&driftgate::evidence::store::LocalStore::new(&store), TENANT).unwrap();
    let victim = batches.iter().find(|b| b.from <= w.approved_at && b.to > w.approved_at).unwrap();
    let file = store.join(victim.manifest_key.replace("manifest.json", "events.ndjson"));
    support::writable(&file);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replacen("Update", "Updatf", 1)).unwrap();
    let (_, report, _) = check(&w, &["--audit-store", store.to_str().unwrap()]);
    let a = &report["attribution"];
    assert_eq!(a["covered"], false, "{a}");
    assert_eq!(a["problems"][0]["code"], "file_hash", "{a}");
    assert!(report["drift"].as_array().unwrap().iter().all(|d| d["attribution"] == "not_covered"));

    // audit search says the same, exits 1, and shows none of that batch's events.
    let o = driftgate()
        .args(["audit", "search", "--tenant", TENANT, "--format", "json", "--store"])
        .arg(&store)
        .args(["--from", &rfc(w.approved_at - time::Duration::hours(1))])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("BATCH NOT USED file_hash"), "{stderr}");
    let found: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(found["problems"][0]["sequence"], victim.sequence);
    assert!(found["events"].as_array().unwrap().iter().all(|e| e["batch"]["sequence"] != victim.sequence));
    assert!(!found["not_covered"].as_array().unwrap().is_empty());
}

/// A store whose archive holds `events` in one batch over `[from, to)`, written by the batch
/// writer `audit pull` uses.
fn archive(dir: &Path, events: &[Value], from: OffsetDateTime, to: OffsetDateTime) -> PathBuf {
    use driftgate::audit::mask::{MaskKey, MaskStats, Masker};
    let store = dir.join("archive");
    let masker = Masker::new(MaskKey::new(MASK_KEY.as_bytes().to_vec(), "test").unwrap(), &[], &[]).unwrap();
    let mut stats = MaskStats::default();
    let lines: Vec<(String, String, Vec<u8>)> = events
        .iter()
        .map(|e| {
            let m = masker.apply(e.clone(), &mut stats);
            (
                m["eventDate"].as_str().unwrap().into(),
                m["id"].as_str().unwrap().into(),
                driftgate::canonical::to_vec(&m),
            )
        })
        .collect();
    let key = driftgate::evidence::Signer25519::from_file(&root().join("examples/keys/demo.key")).unwrap();
    driftgate::audit::store_batch(
        &driftgate::evidence::store::LocalStore::new(&store),
        &key,
        &driftgate::audit::Batch {
            tenant: TENANT,
            platform: driftgate::platform::Platform::GenesysCloud,
            interval: (from, to),
            run_id: "audit-test".into(),
            events: &lines,
            counts: Default::default(),
            masker: &masker,
            stats: &stats,
            queries: &[],
            checkpoint_before: None,
            source: json!({}),
            retention_days: 1,
        },
        to,
    )
    .unwrap();
    store
}

fn search(store: &Path, args: &[&str]) -> (i32, String, String) {
    let o =
        driftgate().args(["audit", "search", "--tenant", TENANT, "--store"]).arg(store).args(args).output().unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn audit_search_filters_sorts_and_keeps_platform_text_inert() {
    let dir = tempfile::tempdir().unwrap();
    let from = OffsetDateTime::parse("2026-11-01T00:00:00Z", &time::format_description::well_known::Rfc3339).unwrap();
    let to = from + time::Duration::days(1);
    let mut events = tenant::audit_events(from, 24, 5, 9);
    // Hostile text where a person will read it: a formula, a terminal escape, a workflow command.
    events[3]["entity"]["name"] = json!("=HYPERLINK(\"http://x\",\"y\")");
    events[3]["action"] = json!("\u{1b}[2J\u{1b}]0;owned\u{7}");
    events[4]["entity"]["name"] = json!("a\n::error::owned");
    let store = archive(dir.path(), &events, from, to);
    let key = root().join("examples/keys/demo.pub");
    let window =
        ["--from", "2026-11-01T00:00:00Z", "--to", "2026-11-02T00:00:00Z", "--public-key", key.to_str().unwrap()];

    // Default off a terminal: NDJSON, sorted by eventDate then id, every event once.
    let (code, out, err) = search(&store, &window);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 120);
    let keys: Vec<(String, String)> =
        lines.iter().map(|e| (e["eventDate"].as_str().unwrap().into(), e["id"].as_str().unwrap().into())).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert!(err.contains("(pinned)") && err.contains("120 event(s) match"), "{err}");

    // Filters, exactly.
    let target = &lines[17];
    let entity = target["entity"]["id"].as_str().unwrap();
    let (_, out, _) = search(&store, &[&window[..], &["--entity", entity]].concat());
    assert_eq!(out.lines().count(), 1);
    let service = target["serviceName"].as_str().unwrap();
    let action = target["action"].as_str().unwrap();
    let (_, out, _) =
        search(&store, &[&window[..], &["--service", service, "--action", action, "--format", "json"]].concat());
    let found: Value = serde_json::from_str(&out).unwrap();
    let want = lines.iter().filter(|e| e["serviceName"] == service && e["action"] == action).count();
    assert_eq!(found["events"].as_array().unwrap().len(), want);
    assert!(want > 1 && want < 120);
    let ip = target["remoteIp"][0].as_str().unwrap();
    let (_, out, _) = search(&store, &[&window[..], &["--ip", ip]].concat());
    assert!(out.lines().all(|l| l.contains(ip)) && out.lines().count() >= 1);
    let (_, out, _) = search(&store, &[&window[..], &["--user", "nobody"]].concat());
    assert_eq!(out, "");
    // --contains looks in values (masked values stay masked: the phone numbers are pseudonyms).
    let (_, out, _) = search(&store, &[&window[..], &["--contains", "(555) 123-4567"]].concat());
    assert_eq!(out, "");
    let (_, out, _) = search(&store, &[&window[..], &["--contains", "HYPERLINK"]].concat());
    assert_eq!(out.lines().count(), 1);

    // A window reaching beyond the archive says what is not covered.
    let (_, _, err) = search(&store, &["--from", "2026-10-31T00:00:00Z", "--to", "2026-11-01T12:00:00Z"]);
    assert!(err.contains("NOT COVERED 2026-10-31T00:00:00Z → 2026-11-01T00:00:00Z"), "{err}");

    // CSV cannot run a formula; the table cannot move the terminal or start a workflow command.
    let (_, csv, _) = search(&store, &[&window[..], &["--format", "csv"]].concat());
    assert!(csv.contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\") ("), "{csv}");
    let (_, table, _) = search(&store, &[&window[..], &["--format", "table"]].concat());
    assert!(!table.contains('\u{1b}') && !table.contains('\u{7}'), "{table:?}");
    assert!(table.lines().all(|l| !l.trim_start().starts_with("::")));
    assert_eq!(table.lines().count(), 121);

    // The wrong pinned key: nothing is used.
    let other = dir.path().join("other");
    let k = driftgate().args(["evidence", "keygen", "--out"]).arg(&other).output().unwrap();
    assert!(k.status.success());
    let (code, out, err) = search(
        &store,
        &[
            "--from",
            "2026-11-01T00:00:00Z",
            "--to",
            "2026-11-02T00:00:00Z",
            "--public-key",
            other.join("driftgate.pub").to_str().unwrap(),
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(out, "");
    assert!(err.contains("BATCH NOT USED bad_signature"), "{err}");
}

#[test]
fn the_example_archive_explains_some_of_the_examples_drift_and_is_what_its_generator_writes() {
    let (code, report) = support::check_json(&[
        "examples/genesys/acme-corp.drifted.json",
        "--audit-store",
        "examples/genesys/audit-archive",
        "--audit-public-key",
        "examples/keys/demo.pub",
    ]);
    assert_eq!(code, 1);
    let a = &report["attribution"];
    assert_eq!(
        (a["covered"].as_bool(), a["attributed"].as_u64(), a["unattributed"].as_u64()),
        (Some(true), Some(13), Some(1))
    );
    assert_eq!(a["key_pinned"], true);
    assert_eq!(findings(&report, "GC-CC7.2-03"), vec!["roles /permissions"]);
    assert_eq!(findings(&report, "GC-CC8.1-01").len(), 9, "the pipeline's five changes are approved");

    // The committed archive is exactly what `cargo run --example audit_archive` writes.
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("a");
    // `cargo test` builds the examples beside the test binaries (target/<profile>/examples).
    let exe = std::env::current_exe().unwrap();
    let generator = exe.parent().unwrap().parent().unwrap().join("examples").join("audit_archive");
    assert!(generator.is_file(), "{} was not built (cargo test builds the examples)", generator.display());
    let o = std::process::Command::new(&generator).arg(&out).current_dir(root()).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let committed = root().join("examples/genesys/audit-archive");
    let rel = |base: &Path| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> =
            support::walk(base).into_iter().map(|p| p.strip_prefix(base).unwrap().to_path_buf()).collect();
        v.sort();
        v
    };
    assert_eq!(rel(&out), rel(&committed));
    for p in rel(&committed) {
        assert_eq!(
            std::fs::read(out.join(&p)).unwrap(),
            std::fs::read(committed.join(&p)).unwrap(),
            "{} differs: run `rm -rf examples/genesys/audit-archive && cargo run --example audit_archive`",
            p.display()
        );
    }
}
