//! Evidence packages: tamper detection by both verifiers (with identical verdicts), crashes
//! at every write, concurrent runs, and the `run` / `evidence` CLI.

mod support;

use driftgate::evidence::store::LocalStore;
use driftgate::evidence::{write_package, PackageInput, Signer25519, VerifyOptions};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::*;

fn input(run: &str, body: &str) -> PackageInput {
    PackageInput {
        tenant: "acme-corp".into(),
        platform: "genesys-cloud".into(),
        run_id: run.into(),
        collection_id: format!("c-{run}"),
        files: BTreeMap::from([
            ("report.json".to_string(), format!("{{\"run\": \"{run}\", \"body\": \"{body}\"}}\n").into_bytes()),
            ("snapshot.raw.json".to_string(), b"{\"resources\": {}}\n".to_vec()),
            ("quarantine/users.json".to_string(), b"[]\n".to_vec()),
        ]),
        collector: json!({"name": "test"}),
        endpoints: json!([]),
        record_counts: BTreeMap::from([("users".to_string(), 3)]),
        snapshot_sha256: "00".repeat(32),
        policy_bundle_sha256: "11".repeat(32),
        policy_bundle_revision: None,
        baseline_sha256: None,
        retention_days: 30,
        object: Default::default(),
        forensic: None,
    }
}

fn day(d: u8) -> time::OffsetDateTime {
    time::Date::from_calendar_date(2026, time::Month::November, d).unwrap().with_hms(8, 0, 0).unwrap().assume_utc()
}

/// A store with `n` runs on consecutive days from Nov 10.
fn store_with(n: u8) -> (tempfile::TempDir, Signer25519) {
    let d = tempfile::tempdir().unwrap();
    let key = Signer25519::generate().unwrap();
    let s = LocalStore::new(d.path());
    for i in 0..n {
        write_package(&s, &key, input(&format!("run-{i}"), "x"), day(10 + i)).unwrap();
    }
    (d, key)
}

fn rust_verdict(root: &Path, public_key: Option<&Signer25519>, range: Option<(u8, u8)>) -> Verdict {
    let opts = VerifyOptions {
        public_key: public_key.map(|k| k.public()),
        from: range.map(|r| day(r.0).date()),
        to: range.map(|r| day(r.1).date()),
        ..Default::default()
    };
    rust_verdict_of(root, &opts)
}

fn python_verdict(root: &Path, public_key: Option<&Path>, range: Option<(u8, u8)>) -> Verdict {
    let script = root.join("verify_evidence.py");
    // The verifier under test is the one shipped in the binary, even if the stored copy was
    // tampered with (that case is detected through its hash).
    let pristine = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(pristine.path(), driftgate::evidence::VERIFIER_SCRIPT).unwrap();
    let _ = script;
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(pristine.path()).arg(root);
    if let Some(k) = public_key {
        cmd.arg("--public-key").arg(k);
    }
    if let Some((a, b)) = range {
        cmd.args(["--from", &format!("2026-11-{a:02}"), "--to", &format!("2026-11-{b:02}")]);
    }
    python_verdict_of(cmd)
}

/// Both verifiers, which must agree; returns the verdict.
fn verdict(root: &Path, key: Option<(&Signer25519, &Path)>, range: Option<(u8, u8)>) -> Verdict {
    let r = rust_verdict(root, key.map(|k| k.0), range);
    let p = python_verdict(root, key.map(|k| k.1), range);
    assert_eq!(r, p, "the Rust and Python verifiers disagree");
    r
}

fn codes(v: &Verdict) -> Vec<&str> {
    v.1.iter().filter(|p| p.0 == "error").map(|p| p.1.as_str()).collect()
}

fn files(root: &Path) -> Vec<PathBuf> {
    driftgate::input::walk_files(root, &|_| true).unwrap()
}

#[test]
fn an_untouched_store_verifies_in_both_verifiers() {
    let (d, _) = store_with(3);
    let v = verdict(d.path(), None, Some((10, 12)));
    assert!(v.0, "{v:?}");
    assert!(v.1.is_empty());
}

#[test]
fn flipping_any_byte_of_any_stored_file_is_detected() {
    let (d, _) = store_with(2);
    let all = files(d.path());
    assert!(all.len() >= 12, "{all:?}");
    for f in all {
        let copy = tempfile::tempdir().unwrap();
        copy_tree(d.path(), copy.path());
        let target = copy.path().join(f.strip_prefix(d.path()).unwrap());
        writable(&target);
        let mut bytes = std::fs::read(&target).unwrap();
        let i = bytes.len() / 2;
        bytes[i] ^= 0x01;
        std::fs::write(&target, bytes).unwrap();
        let v = verdict(copy.path(), None, None);
        assert!(!v.0, "flipping a byte of {} went unnoticed", f.display());
    }
}

fn chain_entry(root: &Path, seq: u64) -> PathBuf {
    root.join(format!("acme-corp/chain/{seq:010}.json"))
}

fn manifest_path(root: &Path, seq: u64) -> PathBuf {
    let e: Value = serde_json::from_slice(&std::fs::read(chain_entry(root, seq)).unwrap()).unwrap();
    root.join(e["manifest"].as_str().unwrap())
}

#[test]
fn packages_are_named_by_collection_and_a_re_check_gets_its_own_directory() {
    let (d, key) = store_with(0);
    let s = LocalStore::new(d.path());
    let mut again = input("run-2", "x");
    again.collection_id = "c-run-1".into();
    let first = write_package(&s, &key, input("run-1", "x"), day(10)).unwrap();
    let second = write_package(&s, &key, again, day(10)).unwrap();
    assert_eq!(first.manifest_key, "acme-corp/2026/11/10/c-run-1/manifest.json");
    assert_eq!(second.manifest_key, "acme-corp/2026/11/10/c-run-1.2/manifest.json");
    let mut bad = input("run-3", "x");
    bad.collection_id = "../../etc".into();
    assert!(write_package(&s, &key, bad, day(10)).is_err(), "a collection id from data must not traverse");
    assert!(verdict(d.path(), None, None).0);
}

#[test]
fn deleting_a_run_is_a_gap() {
    let (d, _) = store_with(3);
    let m = manifest_path(d.path(), 2);
    std::fs::remove_dir_all(m.parent().unwrap()).unwrap();
    std::fs::remove_file(chain_entry(d.path(), 2)).unwrap();
    let v = verdict(d.path(), None, Some((10, 12)));
    assert_eq!(codes(&v), vec!["gap", "missing_day"]);
}

#[test]
fn deleting_only_a_package_is_a_missing_manifest() {
    let (d, _) = store_with(3);
    std::fs::remove_dir_all(manifest_path(d.path(), 2).parent().unwrap()).unwrap();
    assert_eq!(codes(&verdict(d.path(), None, None)), vec!["missing_manifest"]);
}

#[test]
fn reordering_runs_is_detected() {
    let (d, _) = store_with(3);
    let (a, b) = (chain_entry(d.path(), 1), chain_entry(d.path(), 2));
    let (ta, tb) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    writable(&a);
    writable(&b);
    std::fs::write(&a, &tb).unwrap();
    std::fs::write(&b, &ta).unwrap();
    let v = verdict(d.path(), None, None);
    assert!(!v.0);
    assert!(codes(&v).contains(&"sequence_mismatch"), "{v:?}");
}

#[test]
fn replaying_an_old_manifest_is_detected() {
    let (d, _) = store_with(2);
    // Copy run 1's package under a new name and commit it as sequence 3.
    let old = manifest_path(d.path(), 1);
    let new_dir = d.path().join("acme-corp/2026/11/12/run-replay");
    copy_tree(old.parent().unwrap(), &new_dir);
    let bytes = std::fs::read(new_dir.join("manifest.json")).unwrap();
    let entry = json!({"sequence": 3, "run_id": "run-replay", "manifest": "acme-corp/2026/11/12/run-replay/manifest.json",
                       "manifest_sha256": driftgate::canonical::sha256_hex(&bytes)});
    std::fs::write(chain_entry(d.path(), 3), driftgate::canonical::to_pretty(&entry)).unwrap();
    let v = verdict(d.path(), None, None);
    assert!(codes(&v).contains(&"sequence_mismatch") && codes(&v).contains(&"chain_link"), "{v:?}");
    // Replayed without a chain entry, it is a replay too.
    std::fs::remove_file(chain_entry(d.path(), 3)).unwrap();
    assert_eq!(codes(&verdict(d.path(), None, None)), vec!["replayed_manifest"]);
}

#[test]
fn a_manifest_re_signed_with_another_key_is_detected() {
    let (d, key) = store_with(2);
    let attacker = Signer25519::generate().unwrap();
    // Alter run 2's report, fix its hash in the manifest, re-sign, and fix the chain entry.
    let m_path = manifest_path(d.path(), 2);
    let report = m_path.parent().unwrap().join("report.json");
    writable(&report);
    std::fs::write(&report, b"{\"all\": \"fine\"}\n").unwrap();
    let mut m: driftgate::evidence::Manifest = serde_json::from_slice(&std::fs::read(&m_path).unwrap()).unwrap();
    for f in m.files.iter_mut().filter(|f| f.path == "report.json") {
        f.sha256 = driftgate::canonical::sha256_hex(b"{\"all\": \"fine\"}\n");
        f.bytes = 16;
    }
    m.sign(&attacker);
    writable(&m_path);
    std::fs::write(&m_path, m.to_file_bytes()).unwrap();
    let entry = chain_entry(d.path(), 2);
    let mut e: Value = serde_json::from_slice(&std::fs::read(&entry).unwrap()).unwrap();
    e["manifest_sha256"] = json!(driftgate::canonical::sha256_hex(&m.to_file_bytes()));
    writable(&entry);
    std::fs::write(&entry, driftgate::canonical::to_pretty(&e)).unwrap();
    assert_eq!(codes(&verdict(d.path(), None, None)), vec!["bad_signature"]);
    // Replacing the published key as well fools nobody who brings the real public key.
    let pubfile = d.path().join("driftgate.pub");
    writable(&pubfile);
    std::fs::write(&pubfile, attacker.public().to_file_text()).unwrap();
    let auditor_copy = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(auditor_copy.path(), key.public().to_file_text()).unwrap();
    let v = verdict(d.path(), Some((&key, auditor_copy.path())), None);
    assert_eq!(codes(&v), vec!["bad_signature", "key_mismatch"]);
}

#[test]
fn an_extra_file_and_an_overwritten_verifier_are_detected() {
    let (d, _) = store_with(1);
    let dir = manifest_path(d.path(), 1).parent().unwrap().to_path_buf();
    std::fs::write(dir.join("notes.txt"), b"added later").unwrap();
    let script = d.path().join("verify_evidence.py");
    writable(&script);
    std::fs::write(&script, b"print('VERDICT: OK')\n").unwrap();
    assert_eq!(codes(&verdict(d.path(), None, None)), vec!["extra_file", "verifier_changed"]);
}

#[test]
fn a_crash_at_any_write_leaves_a_chain_the_next_run_continues() {
    // Writes of the second run: 2 root files (already there), 3 package files, the
    // manifest, the chain entry.
    for fail_at in 1..=7 {
        let (d, key) = store_with(1);
        let crashing = Crashing::new(d.path(), fail_at);
        assert!(write_package(&crashing, &key, input("run-crash", "y"), day(11)).is_err());
        // Until the next run, a package that was written but not committed (a crash at the
        // commit, write 7) is an unchained manifest; anything earlier is not evidence at all.
        let between = verdict(d.path(), None, None);
        assert_eq!(between.0, fail_at < 7, "crash at write {fail_at}: {between:?}");
        let w = write_package(&LocalStore::new(d.path()), &key, input("run-next", "z"), day(12)).unwrap();
        let v = verdict(d.path(), None, None);
        assert!(v.0, "crash at write {fail_at}: {v:?}");
        // Whatever the crash left, the next run accounts for it: no warning remains.
        assert!(v.1.is_empty(), "crash at write {fail_at}: {v:?}");
        let next: Value = serde_json::from_slice(&std::fs::read(d.path().join(&w.manifest_key)).unwrap()).unwrap();
        if fail_at == 7 {
            // The crash hit the commit: the complete package was committed by the next run.
            assert_eq!((w.rolled_forward.clone(), w.sequence), (vec![2], 3), "crash at write {fail_at}");
        } else {
            assert_eq!((w.rolled_forward.clone(), w.sequence), (vec![], 2), "crash at write {fail_at}");
            // A crash among the package files (writes 4 to 6) left a directory without a
            // manifest: a warning until the next run records it, with its files, in its
            // signed manifest.
            let warned: Vec<&str> = between.1.iter().map(|p| p.1.as_str()).collect();
            if (4..=6).contains(&fail_at) {
                assert_eq!(warned, vec!["incomplete_package"], "crash at write {fail_at}");
                assert_eq!(next["abandoned"][0]["dir"], "acme-corp/2026/11/11/c-run-crash", "{next}");
                assert_eq!(next["abandoned"][0]["files"].as_array().unwrap().len(), fail_at - 3);
            } else {
                assert!(warned.is_empty() && next.get("abandoned").is_none(), "crash at write {fail_at}: {between:?}");
            }
        }
    }
}

#[test]
fn concurrent_runs_never_fork_the_chain() {
    let d = tempfile::tempdir().unwrap();
    let key = std::sync::Arc::new(Signer25519::generate().unwrap());
    let threads: Vec<_> = (0..6)
        .map(|i| {
            let (root, key) = (d.path().to_path_buf(), key.clone());
            std::thread::spawn(move || {
                write_package(&LocalStore::new(root), &key, input(&format!("run-t{i}"), "c"), day(20)).unwrap()
            })
        })
        .collect();
    let mut seqs: Vec<u64> = threads.into_iter().map(|t| t.join().unwrap().sequence).collect();
    seqs.sort();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6]);
    let v = verdict(d.path(), None, None);
    assert!(v.0 && v.1.is_empty(), "{v:?}");
}

#[test]
fn the_run_command_writes_verified_evidence_from_the_example() {
    let d = tempfile::tempdir().unwrap();
    let keys = d.path().join("keys");
    driftgate().args(["evidence", "keygen", "--out"]).arg(&keys).assert().success();
    // Refuses to replace an existing key.
    driftgate().args(["evidence", "keygen", "--out"]).arg(&keys).assert().code(2);
    let store = d.path().join("evidence");
    for (snapshot, code) in [(DRIFTED, 1), (APPROVED, 0)] {
        driftgate()
            .args(["run", "--snapshot", snapshot, "--store"])
            .arg(&store)
            .arg("--signing-key")
            .arg(keys.join("driftgate.key"))
            .assert()
            .code(code)
            .stderr(predicates::str::contains("store verified"));
    }
    driftgate()
        .args(["evidence", "verify"])
        .arg(&store)
        .arg("--public-key")
        .arg(keys.join("driftgate.pub"))
        .assert()
        .success()
        .stdout(predicates::str::contains("VERDICT: OK (2 package(s) in 1 tenant(s) verified)"));
    let out = std::process::Command::new("python3").arg(store.join("verify_evidence.py")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    // Nothing secret in the store: no private key, no OAuth client secret.
    let private = std::fs::read_to_string(keys.join("driftgate.key")).unwrap();
    for f in files(&store) {
        let text = String::from_utf8_lossy(&std::fs::read(&f).unwrap()).into_owned();
        assert!(!text.contains(private.trim().trim_start_matches("ed25519-secret:")), "private key in {}", f.display());
        assert!(!text.contains("s3cr3t-") && !text.contains("hunter2-"), "OAuth secret in {}", f.display());
    }
    // The manifest has every field of the contract.
    let m: Value = serde_json::from_slice(&std::fs::read(manifest_path(&store, 2)).unwrap()).unwrap();
    for k in [
        "manifest_version",
        "collection_id",
        "tenant",
        "sequence",
        "created_at",
        "files",
        "previous_manifest_sha256",
        "collector",
        "endpoints",
        "record_counts",
        "policy_bundle_sha256",
        "baseline_sha256",
        "retention_until",
        "storage",
        "signing_key_fingerprint",
        "signature",
    ] {
        assert!(m.get(k).is_some(), "manifest lacks {k}");
    }
    assert_eq!(m["collection_id"], "acme-corp-20261115T080000Z");
    assert_eq!(m["sequence"], 2);
}

#[test]
fn run_refuses_without_a_signing_key_and_on_bad_config() {
    let d = tempfile::tempdir().unwrap();
    driftgate()
        .env_remove("DRIFTGATE_SIGNING_KEY")
        .args(["run", "--snapshot", APPROVED, "--store"])
        .arg(d.path().join("ev"))
        .assert()
        .code(2)
        .stderr(predicates::str::contains("no signing key"));
    assert!(!d.path().join("ev").exists(), "nothing may be written for a refused run");
    let cfg = d.path().join("driftgate.toml");
    std::fs::write(&cfg, "[store]\npath = \"ev\"\nretension_days = 30\n").unwrap();
    driftgate()
        .args(["run", "--config"])
        .arg(&cfg)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("unknown field `retension_days`"))
        .stderr(predicates::str::contains("driftgate.toml:3:1"));
}

#[test]
fn run_from_a_config_file_with_the_key_in_the_environment() {
    let d = tempfile::tempdir().unwrap();
    let key = Signer25519::generate().unwrap();
    let cfg = d.path().join("driftgate.toml");
    std::fs::write(
        &cfg,
        format!(
            "[store]\npath = \"ev\"\nretention_days = 30\n\n[signing]\nkey_env = \"TEST_DG_KEY\"\n\n[check]\npolicies = \"{}\"\nbaselines = \"{}\"\n\n[[tenants]]\nname = \"acme-corp\"\nplatform = \"genesys-cloud\"\nsnapshot = \"{}\"\n",
            root().join("policies").display(),
            root().join("baselines").display(),
            root().join(APPROVED).display()
        ),
    )
    .unwrap();
    driftgate().args(["run", "--config"]).arg(&cfg).env("TEST_DG_KEY", key.to_file_text()).assert().success();
    let v = rust_verdict(&d.path().join("ev"), Some(&key), None);
    assert!(v.0 && v.1.is_empty(), "{v:?}");
    let m: Value = serde_json::from_slice(&std::fs::read(manifest_path(&d.path().join("ev"), 1)).unwrap()).unwrap();
    let retain = time::OffsetDateTime::parse(
        m["retention_until"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let created =
        time::OffsetDateTime::parse(m["created_at"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
            .unwrap();
    assert_eq!((retain - created).whole_days(), 30);
}
