//! Witnessed heads and pinned keys through the CLI: `[[witness]]` files and sinks receive
//! every new signed head, a witness that cannot be written is exit 2 once the evidence is
//! committed, deleting the newest run is caught only with the witness, and both verifiers
//! pin a key by fingerprint.

mod support;

use serde_json::Value;
use std::path::Path;
use support::http::{Answer, Server};
use support::*;

const DEMO_FINGERPRINT: &str = "SHA256:";

fn demo_fingerprint() -> String {
    let key = driftgate::evidence::PublicKey::parse(
        &std::fs::read_to_string(root().join("examples/keys/demo.pub")).unwrap(),
        "demo.pub",
    )
    .unwrap();
    format!("{DEMO_FINGERPRINT}{}", key.fingerprint())
}

fn run_with(config: &Path, snapshot: &str) -> std::process::Output {
    driftgate().args(["run", "--snapshot", snapshot, "--config"]).arg(config).output().unwrap()
}

fn verify(store: &Path, args: &[&str]) -> (Option<i32>, Value, Option<i32>, Value) {
    let out = driftgate().args(["evidence", "verify", "--format", "json"]).arg(store).args(args).output().unwrap();
    let rust = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    let py = std::process::Command::new("python3")
        .arg(store.join("verify_evidence.py"))
        .arg(store)
        .arg("--json")
        .args(args)
        .output()
        .unwrap();
    let pyv = serde_json::from_slice(&py.stdout).unwrap_or(Value::Null);
    (out.status.code(), rust, py.status.code(), pyv)
}

fn codes(v: &Value) -> Vec<String> {
    v["problems"].as_array().map_or(vec![], |p| p.iter().map(|p| p["code"].as_str().unwrap().to_string()).collect())
}

#[test]
fn heads_go_to_every_witness_and_catch_a_deleted_run() {
    let d = tempfile::tempdir().unwrap();
    let sink = Server::start(vec![], Answer::Status(200, vec![]));
    let heads = d.path().join("heads.jsonl");
    let cfg = write_config(
        d.path(),
        "store",
        &format!(
            "[[witness]]\nkind = \"file\"\npath = \"{}\"\n\n[[witness]]\nkind = \"webhook\"\nurl = \"{}/heads\"\n",
            heads.display(),
            sink.url
        ),
    );
    for _ in 0..2 {
        assert_eq!(run_with(&cfg, APPROVED).status.code(), Some(0));
    }
    let lines: Vec<Value> =
        std::fs::read_to_string(&heads).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.iter().map(|h| h["sequence"].as_u64().unwrap()).collect::<Vec<_>>(), [1, 2]);
    let posted = sink.requests();
    assert_eq!(posted.len(), 2, "{posted:?}");
    let body: Value = serde_json::from_str(&posted[1].body).unwrap();
    assert_eq!(body["kind"], "driftgate.witness_head");
    assert_eq!(body["data"], lines[1], "the sink holds the same signed head");

    // Delete the newest run with its chain entry: the chain alone still verifies...
    let store = d.path().join("store");
    let head = store.join("acme-corp/chain/0000000002.json");
    let entry: Value = serde_json::from_slice(&std::fs::read(&head).unwrap()).unwrap();
    let pkg = store.join(entry["manifest"].as_str().unwrap()).parent().unwrap().to_path_buf();
    let _ = std::process::Command::new("chmod").args(["-R", "u+w"]).arg(&store).status();
    std::fs::remove_dir_all(&pkg).unwrap();
    std::fs::remove_file(&head).unwrap();
    let (rc, r, pc, p) = verify(&store, &["--public-key", "examples/keys/demo.pub"]);
    assert_eq!((rc, pc), (Some(0), Some(0)), "{r} {p}");
    // ...and the witness does not.
    let w = heads.to_string_lossy().into_owned();
    let (rc, r, pc, p) = verify(&store, &["--public-key", "examples/keys/demo.pub", "--witness", &w]);
    assert_eq!((rc, pc), (Some(1), Some(1)));
    assert_eq!(codes(&r), ["missing_head"]);
    assert_eq!(codes(&r), codes(&p));
}

#[test]
fn a_witness_that_cannot_be_written_fails_the_run_after_the_evidence_is_committed() {
    let d = tempfile::tempdir().unwrap();
    let out = driftgate()
        .args(["run", "--snapshot", APPROVED, "--signing-key", "examples/keys/demo.key", "--store"])
        .arg(d.path().join("store"))
        .args(["--witness", "/nonexistent/dir/heads.jsonl"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr).split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(err.contains("committed as sequence 1") && err.contains("not witnessed"), "{err}");
    let (rc, ..) = verify(&d.path().join("store"), &["--public-key", "examples/keys/demo.pub"]);
    assert_eq!(rc, Some(0), "the evidence itself is whole");
}

#[test]
fn a_bad_witness_config_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let cfg = write_config(d.path(), "store", "[[witness]]\nkind = \"file\"\nurl = \"https://x.example/h\"\n");
    let out = run_with(&cfg, APPROVED);
    assert_eq!(out.status.code(), Some(2));
    assert!(!d.path().join("store").exists());
}

#[test]
fn both_verifiers_pin_a_key_by_its_fingerprint() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let out = driftgate()
        .args(["run", "--snapshot", APPROVED, "--signing-key", "examples/keys/demo.key", "--store"])
        .arg(&store)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let fp = demo_fingerprint();
    let (rc, r, pc, p) = verify(&store, &["--key-fingerprint", &fp]);
    assert_eq!((rc, pc), (Some(0), Some(0)), "{r} {p}");
    assert_eq!((&r["key_pinned"], &p["key_pinned"]), (&Value::Bool(true), &Value::Bool(true)));
    let (rc, r, pc, p) = verify(&store, &[]);
    assert_eq!((rc, pc), (Some(0), Some(0)));
    assert_eq!((&r["key_pinned"], &p["key_pinned"]), (&Value::Bool(false), &Value::Bool(false)));
    let text = driftgate().args(["evidence", "verify"]).arg(&store).output().unwrap();
    assert!(String::from_utf8_lossy(&text.stdout).contains("taken from the store, not pinned"));
    // Another key's fingerprint: the store's key is not the one the auditor was given.
    let other = format!("SHA256:{}", "ab".repeat(32));
    let (rc, r, pc, p) = verify(&store, &["--key-fingerprint", &other]);
    assert_eq!((rc, pc), (Some(1), Some(1)));
    assert_eq!(codes(&r), ["key_mismatch"]);
    assert_eq!(codes(&r), codes(&p));
    // A fingerprint that is not one, and both pins at once: usage.
    let (rc, _, pc, _) = verify(&store, &["--key-fingerprint", "SHA256:xyz"]);
    assert_eq!((rc, pc), (Some(2), Some(2)));
    let (rc, _, pc, _) = verify(&store, &["--key-fingerprint", &fp, "--public-key", "examples/keys/demo.pub"]);
    assert_eq!((rc, pc), (Some(2), Some(2)));
}
