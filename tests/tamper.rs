//! The differential tamper suite: a store built by the real binary (three daily runs on three
//! days under `faketime`, one with an alert log; an audit pull; a forensic collection; every
//! head witnessed), then every one-byte flip of every stored file at five offsets and every
//! structural attack an auditor worries about. Each case must be caught by both verifiers,
//! the Rust one and the standalone `verify_evidence.py`, with the same problem codes.

mod support;

use driftgate::evidence::{PublicKey, VerifyOptions};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use support::genesys::{Emulator, Faults, CLIENT_ID, CLIENT_SECRET};
use support::{root, tenant, Verdict};
use time::OffsetDateTime;

const DANA: &str = "8df08078-a22e-4180-85c2-c2af3977a654";

struct Fixture {
    _dir: tempfile::TempDir,
    store: PathBuf,
    witness: PathBuf,
    public_key: PathBuf,
    script: PathBuf,
}

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("driftgate")
}

fn demo_key() -> String {
    std::fs::read_to_string(root().join("examples/keys/demo.key")).unwrap()
}

fn run_ok(cmd: &mut std::process::Command, what: &str, codes: &[i32]) {
    let out = cmd.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        codes.contains(&out.status.code().unwrap_or(-1)),
        "{what}: exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn build() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let witness = dir.path().join("heads.jsonl");
    // Three daily runs on three days: the clock comes from faketime (installed by .ci/test).
    for (i, day) in ["2026-11-10 08:00:00", "2026-11-11 08:00:00", "2026-11-12 08:00:00"].iter().enumerate() {
        let mut cmd = std::process::Command::new("faketime");
        cmd.arg(day).arg(bin()).current_dir(root());
        cmd.args(["run", "--snapshot", support::DRIFTED, "--signing-key", "examples/keys/demo.key"]);
        cmd.arg("--store").arg(&store).arg("--witness").arg(&witness);
        if i == 2 {
            // The last run alerts a sink that is down: its alert log sits beside the chain.
            let cfg = dir.path().join("alerts.toml");
            let r = root();
            let text = format!(
                "[check]\npolicies = \"{p}\"\nbaselines = \"{b}\"\n\n[[alerts]]\nkind = \"webhook\"\n\
                 url = \"http://127.0.0.1:9/hook\"\nmax_attempts = 1\ntimeout_secs = 1\n",
                p = r.join("policies").display(),
                b = r.join("baselines").display()
            );
            std::fs::write(&cfg, text).unwrap();
            cmd.arg("--config").arg(&cfg);
        }
        run_ok(&mut cmd, "daily run", &[0, 1]);
    }
    // An audit pull and a forensic collection against the emulator, into the same store.
    let emu = Emulator::start(&tenant::genesys(40, 3), Faults::default());
    let now = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let from = now - time::Duration::hours(20);
    emu.add_audit_events(tenant::audit_events(from, 12, 4, 7));
    let rfc = |t: OffsetDateTime| driftgate::clock::rfc3339(t);
    let env = |cmd: &mut std::process::Command| {
        cmd.current_dir(root())
            .env("GENESYS_CLIENT_ID", CLIENT_ID)
            .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
            .env("DRIFTGATE_MASK_KEY", "tamper-suite-mask-key-0123456789")
            .env("DRIFTGATE_SIGNING_KEY", demo_key())
            .env("DRIFTGATE_AUDIT_POLL_MS", "5")
            .env("DRIFTGATE_RETRY_BASE_MS", "5");
    };
    let mut pull = std::process::Command::new(bin());
    env(&mut pull);
    pull.args(["audit", "pull", "--platform", "genesys-cloud", "--tenant", "acme-corp", "--base-url", &emu.url]);
    pull.args(["--since", &rfc(from), "--until", &rfc(from + time::Duration::hours(12))]);
    pull.arg("--store").arg(&store).arg("--witness").arg(&witness);
    run_ok(&mut pull, "audit pull", &[0]);
    let mut forensics = std::process::Command::new(bin());
    env(&mut forensics);
    forensics.args(["forensics", "collect", "--platform", "genesys-cloud", "--tenant", "acme-corp"]);
    forensics.args(["--incident", "INC-77", "--subject", DANA, "--base-url", &emu.url]);
    forensics.args(["--from", &rfc(from), "--to", &rfc(from + time::Duration::hours(12))]);
    forensics.arg("--store").arg(&store).arg("--witness").arg(&witness);
    run_ok(&mut forensics, "forensics collect", &[0]);

    let public_key = root().join("examples/keys/demo.pub");
    let script = dir.path().join("verify_evidence.py");
    std::fs::write(&script, driftgate::evidence::VERIFIER_SCRIPT).unwrap();
    Fixture { _dir: dir, store, witness, public_key, script }
}

fn rust_verdict(f: &Fixture, store: &Path, extra: &VerifyOptions) -> Verdict {
    let key = PublicKey::parse(&std::fs::read_to_string(&f.public_key).unwrap(), "demo.pub").unwrap();
    let opts = VerifyOptions { public_key: Some(key), witness: Some(f.witness.clone()), ..extra.clone() };
    support::rust_verdict_of(store, &opts)
}

fn python_verdict(f: &Fixture, store: &Path, extra: &[&str]) -> Verdict {
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(&f.script).arg(store).arg("--public-key").arg(&f.public_key).arg("--witness").arg(&f.witness).args(extra);
    support::python_verdict_of(cmd)
}

fn error_codes(v: &Verdict) -> Vec<&str> {
    let mut c: Vec<&str> = v.1.iter().filter(|p| p.0 == "error").map(|p| p.1.as_str()).collect();
    c.dedup();
    c
}

/// A writable copy of the store.
fn copy(f: &Fixture) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("cp").arg("-a").arg(&f.store).arg(d.path().join("s")).status().unwrap();
    assert!(status.success());
    let status = std::process::Command::new("chmod").args(["-R", "u+w"]).arg(d.path()).status().unwrap();
    assert!(status.success());
    d
}

/// Every regular file of the store, relative to it (dot files too), but the empty lock files.
fn stored_files(store: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![store.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else if std::fs::metadata(&p).unwrap().len() > 0 {
                out.push(p.strip_prefix(store).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

struct Case {
    name: String,
    apply: Box<dyn Fn(&Path) + Send + Sync>,
    /// A code the verdict must hold (beyond "it fails").
    expect: Option<&'static str>,
}

fn case(name: &str, expect: Option<&'static str>, apply: impl Fn(&Path) + Send + Sync + 'static) -> Case {
    Case { name: name.to_string(), apply: Box::new(apply), expect }
}

/// Runs every case on its own copy, on two threads; returns the failures (empty when every
/// case was caught by both with the same codes) and the counts.
fn run_cases(f: &Fixture, cases: Vec<Case>) -> (Vec<String>, [usize; 4]) {
    let cases = std::sync::Arc::new(cases);
    let next = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(c) = cases.get(i) else { break };
                let d = copy(f);
                let store = d.path().join("s");
                (c.apply)(&store);
                let r = rust_verdict(f, &store, &VerifyOptions::default());
                let p = python_verdict(f, &store, &[]);
                results.lock().unwrap().push((i, r, p));
            });
        }
    });
    let mut failures = Vec::new();
    let mut counts = [cases.len(), 0, 0, 0];
    for (i, r, p) in results.into_inner().unwrap() {
        let c = &cases[i];
        counts[1] += usize::from(!r.0);
        counts[2] += usize::from(!p.0);
        counts[3] += usize::from(r == p);
        if r.0 || p.0 {
            failures.push(format!(
                "{}: not detected (rust {:?}, python {:?})",
                c.name,
                error_codes(&r),
                error_codes(&p)
            ));
        } else if r != p {
            failures.push(format!("{}: the verifiers disagree\n  rust   {:?}\n  python {:?}", c.name, r.1, p.1));
        } else if let Some(code) = c.expect.filter(|code| !error_codes(&r).contains(code)) {
            failures.push(format!("{}: expected {code}, got {:?}", c.name, error_codes(&r)));
        }
    }
    (failures, counts)
}

fn fixture() -> &'static Fixture {
    static F: std::sync::OnceLock<Fixture> = std::sync::OnceLock::new();
    F.get_or_init(build)
}

fn chain_entry(store: &Path, stream: &str, seq: u64) -> PathBuf {
    store.join(format!("{stream}/chain/{seq:010}.json"))
}

fn read_json(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

fn manifest_of(store: &Path, stream: &str, seq: u64) -> PathBuf {
    store.join(read_json(&chain_entry(store, stream, seq))["manifest"].as_str().unwrap())
}

fn write_pretty(p: &Path, v: &Value) {
    std::fs::write(p, driftgate::canonical::to_pretty(v)).unwrap();
}

fn head(store: &Path, stream: &str) -> u64 {
    std::fs::read_dir(store.join(stream).join("chain")).unwrap().count() as u64
}

#[test]
fn the_pristine_store_verifies_in_both_with_its_heads_witnessed() {
    let f = fixture();
    let r = rust_verdict(f, &f.store, &VerifyOptions::default());
    let p = python_verdict(f, &f.store, &[]);
    assert!(r.0 && r.1.is_empty(), "{r:?}");
    assert_eq!(r, p);
    let heads = std::fs::read_to_string(&f.witness).unwrap();
    let streams: Vec<String> = heads
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["stream"].as_str().unwrap().to_string())
        .collect();
    assert!(streams.iter().filter(|s| *s == "acme-corp").count() == 3, "{streams:?}");
    assert!(streams.iter().any(|s| s == "acme-corp.audit") && streams.iter().any(|s| s == "acme-corp.forensics"));
    // Three days, an alert log and an audit checkpoint: everything the suite is meant to flip.
    let files = stored_files(&f.store);
    let has = |needle: &str| files.iter().any(|p| p.to_string_lossy().contains(needle));
    assert!(has("acme-corp/2026/11/10/") && has("acme-corp/2026/11/11/") && has("acme-corp/2026/11/12/"), "{files:?}");
    assert!(has("acme-corp/alerts/") && has("acme-corp.audit/checkpoints/") && has("custody.jsonl"), "{files:?}");
    // The CLI says the head it verified and that the key was pinned.
    let out = support::driftgate()
        .args(["evidence", "verify"])
        .arg(&f.store)
        .arg("--public-key")
        .arg(&f.public_key)
        .arg("--witness")
        .arg(&f.witness)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains("pinned)") && text.contains("head 3 (manifest sha256 "), "{text}");
    assert!(text.contains("witness: 5 head(s) checked") || text.contains("head(s) checked"), "{text}");
}

#[test]
fn every_one_byte_flip_of_every_stored_file_is_caught_by_both_verifiers_alike() {
    let f = fixture();
    let mut cases = Vec::new();
    for rel in stored_files(&f.store) {
        let len = std::fs::metadata(f.store.join(&rel)).unwrap().len() as usize;
        let mut offsets = vec![0, len / 4, len / 2, 3 * len / 4, len - 1];
        offsets.dedup();
        for (n, at) in offsets.into_iter().enumerate() {
            let rel = rel.clone();
            // Alternate the bit flipped, so that letters, digits and punctuation all move.
            let bit = [0x01u8, 0x20, 0x04, 0x10, 0x02][n];
            cases.push(case(&format!("flip 0x{bit:02x} at {at} of {}", rel.display()), None, move |s| {
                let p = s.join(&rel);
                let mut b = std::fs::read(&p).unwrap();
                b[at] ^= bit;
                std::fs::write(&p, b).unwrap();
            }));
        }
    }
    let (failures, [n, rust, py, agree]) = run_cases(f, cases);
    println!("tampered {n}, detected by rust {rust}, by python {py}, codes agree {agree}");
    assert!(n >= 150, "only {n} flips");
    assert!(failures.is_empty(), "{} of {n} cases failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_structural_attack_is_caught_by_both_verifiers_alike() {
    let f = fixture();
    let mut cases = vec![
        case("delete the newest run and its chain entry", Some("missing_head"), |s| {
            let h = head(s, "acme-corp");
            std::fs::remove_dir_all(manifest_of(s, "acme-corp", h).parent().unwrap()).unwrap();
            std::fs::remove_file(chain_entry(s, "acme-corp", h)).unwrap();
        }),
        case("delete the newest audit batch and its chain entry", Some("missing_head"), |s| {
            let h = head(s, "acme-corp.audit");
            std::fs::remove_dir_all(manifest_of(s, "acme-corp.audit", h).parent().unwrap()).unwrap();
            std::fs::remove_file(chain_entry(s, "acme-corp.audit", h)).unwrap();
            for e in std::fs::read_dir(s.join("acme-corp.audit/checkpoints")).unwrap() {
                std::fs::remove_file(e.unwrap().path()).unwrap();
            }
        }),
        case("delete the forensic stream", Some("missing_head"), |s| {
            std::fs::remove_dir_all(s.join("acme-corp.forensics")).unwrap();
        }),
        case("delete a middle run", Some("gap"), |s| {
            std::fs::remove_dir_all(manifest_of(s, "acme-corp", 2).parent().unwrap()).unwrap();
            std::fs::remove_file(chain_entry(s, "acme-corp", 2)).unwrap();
        }),
        case("point the head's chain entry at an older manifest", Some("head_mismatch"), |s| {
            let mut e = read_json(&chain_entry(s, "acme-corp", 1));
            e["sequence"] = json!(3);
            write_pretty(&chain_entry(s, "acme-corp", 3), &e);
        }),
        case("move a package to another day, chain path edited", Some("moved_package"), |s| {
            let m = manifest_of(s, "acme-corp", 2);
            let dir = m.parent().unwrap();
            let to = s.join("acme-corp/2026/11/13").join(dir.file_name().unwrap());
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::rename(dir, &to).unwrap();
            let mut e = read_json(&chain_entry(s, "acme-corp", 2));
            let moved = e["manifest"].as_str().unwrap().replace("/11/11/", "/11/13/");
            e["manifest"] = json!(moved);
            write_pretty(&chain_entry(s, "acme-corp", 2), &e);
        }),
        case("rename a package's collection directory, chain path edited", Some("moved_package"), |s| {
            let m = manifest_of(s, "acme-corp", 1);
            let dir = m.parent().unwrap();
            std::fs::rename(dir, dir.with_file_name("elsewhere")).unwrap();
            let mut e = read_json(&chain_entry(s, "acme-corp", 1));
            let key = e["manifest"].as_str().unwrap().to_string();
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            e["manifest"] = json!(key.replace(&name, "elsewhere"));
            write_pretty(&chain_entry(s, "acme-corp", 1), &e);
        }),
        case("a dot file inside a package", Some("extra_file"), |s| {
            std::fs::write(manifest_of(s, "acme-corp", 1).with_file_name(".hidden"), b"x").unwrap();
        }),
        case("a dot directory inside a package", Some("extra_file"), |s| {
            let d = manifest_of(s, "acme-corp", 1).with_file_name(".git");
            std::fs::create_dir(&d).unwrap();
            std::fs::write(d.join("config"), b"x").unwrap();
        }),
        case("an extra file in a day directory", Some("extra_file"), |s| {
            std::fs::write(manifest_of(s, "acme-corp", 1).parent().unwrap().with_file_name("notes.txt"), b"x").unwrap();
        }),
        case("an extra file in a tenant directory", Some("extra_file"), |s| {
            std::fs::write(s.join("acme-corp/README"), b"x").unwrap();
        }),
        case("an extra file at the store root", Some("extra_file"), |s| {
            std::fs::write(s.join("index.html"), b"x").unwrap();
        }),
        case("a hidden stream at the store root", Some("extra_file"), |s| {
            std::fs::create_dir_all(s.join(".shadow/chain")).unwrap();
            std::fs::write(s.join(".shadow/chain/0000000001.json"), b"{}").unwrap();
        }),
        case("a package file replaced by a link to an outside copy", Some("symlink"), |s| {
            let p = manifest_of(s, "acme-corp", 1).with_file_name("report.json");
            let outside = s.parent().unwrap().join("report-copy.json");
            std::fs::copy(&p, &outside).unwrap();
            std::fs::remove_file(&p).unwrap();
            std::os::unix::fs::symlink(&outside, &p).unwrap();
        }),
        case("a package directory replaced by a link to a copy", Some("symlink"), |s| {
            let dir = manifest_of(s, "acme-corp", 2).parent().unwrap().to_path_buf();
            let outside = s.parent().unwrap().join("pkg-copy");
            std::fs::rename(&dir, &outside).unwrap();
            std::os::unix::fs::symlink(&outside, &dir).unwrap();
        }),
        case("a linked directory inside a forensic package", Some("symlink"), |s| {
            let dir = manifest_of(s, "acme-corp.forensics", 1).parent().unwrap().to_path_buf();
            std::os::unix::fs::symlink("/tmp", dir.join("audit-more")).unwrap();
        }),
        case("an extra key in a chain entry", Some("bad_chain_entry"), |s| {
            let mut e = read_json(&chain_entry(s, "acme-corp", 2));
            e["note"] = json!("approved");
            write_pretty(&chain_entry(s, "acme-corp", 2), &e);
        }),
        case("a chain entry renamed to 3.json", Some("bad_chain_entry"), |s| {
            std::fs::rename(chain_entry(s, "acme-corp", 3), s.join("acme-corp/chain/3.json")).unwrap();
        }),
        case("a chain entry's run_id changed", Some("run_id_mismatch"), |s| {
            let mut e = read_json(&chain_entry(s, "acme-corp", 2));
            e["run_id"] = json!("run-20261111T080000Z-00000000");
            write_pretty(&chain_entry(s, "acme-corp", 2), &e);
        }),
        case("a chain entry's run_id renamed", Some("bad_chain_entry"), |s| {
            let mut e = read_json(&chain_entry(s, "acme-corp", 2));
            let run = e.as_object_mut().unwrap().remove("run_id").unwrap();
            e["run"] = run;
            write_pretty(&chain_entry(s, "acme-corp", 2), &e);
        }),
        case("a chain entry's run_id deleted", Some("bad_chain_entry"), |s| {
            let mut e = read_json(&chain_entry(s, "acme-corp", 2));
            e.as_object_mut().unwrap().remove("run_id");
            write_pretty(&chain_entry(s, "acme-corp", 2), &e);
        }),
        case("a chain entry whose manifest is a number", Some("bad_chain_entry"), |s| {
            let mut e = read_json(&chain_entry(s, "acme-corp", 2));
            e["manifest"] = json!(7);
            write_pretty(&chain_entry(s, "acme-corp", 2), &e);
        }),
        case("a chain entry pointing out of the store", Some("bad_chain_entry"), |s| {
            let mut e = read_json(&chain_entry(s, "acme-corp", 2));
            e["manifest"] = json!("../../etc/passwd");
            write_pretty(&chain_entry(s, "acme-corp", 2), &e);
        }),
        case("a chain entry with a repeated key", Some("bad_chain_entry"), |s| {
            let p = chain_entry(s, "acme-corp", 2);
            let text = std::fs::read_to_string(&p).unwrap();
            std::fs::write(&p, text.replacen("{\n", "{\n  \"sequence\": 9,\n", 1)).unwrap();
        }),
        case("a package file that is a directory", Some("missing_file"), |s| {
            let p = manifest_of(s, "acme-corp", 1).with_file_name("report.txt");
            std::fs::remove_file(&p).unwrap();
            std::fs::create_dir(&p).unwrap();
        }),
        case("a manifest that is a directory", Some("missing_manifest"), |s| {
            let p = manifest_of(s, "acme-corp", 3);
            std::fs::remove_file(&p).unwrap();
            std::fs::create_dir(&p).unwrap();
        }),
        case("a forensic artifact deleted", Some("missing_file"), |s| {
            let dir = manifest_of(s, "acme-corp.forensics", 1).parent().unwrap().to_path_buf();
            std::fs::remove_file(dir.join("subject/user.json")).unwrap();
        }),
        case("the custody log truncated", Some("custody_chain"), |s| {
            let p = manifest_of(s, "acme-corp.forensics", 1).with_file_name("custody.jsonl");
            let text = std::fs::read_to_string(&p).unwrap();
            let keep: Vec<&str> = text.lines().take(2).collect();
            std::fs::write(&p, keep.join("\n") + "\n").unwrap();
        }),
        case("an audit checkpoint moved forward", Some("bad_record"), |s| {
            let dir = s.join("acme-corp.audit/checkpoints");
            let p = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
            let mut v = read_json(&p);
            v["checkpoint"] = json!("2099-01-01T00:00:00Z");
            write_pretty(&p, &v);
        }),
    ];
    cases.push(case("re-sign everything with another key and publish it", Some("key_mismatch"), |s| {
        let attacker = driftgate::evidence::Signer25519::generate().unwrap();
        std::fs::write(s.join("driftgate.pub"), attacker.public().to_file_text()).unwrap();
    }));
    cases.push(signature_padding_case());
    cases.push(case("a manifest with an extra field, re-signed with the real key", Some("bad_manifest"), |s| {
        resign(s, 1, |m| m["approved_by"] = json!("nobody"));
    }));
    let (failures, [n, rust, py, agree]) = run_cases(f, cases);
    println!("tampered {n}, detected by rust {rust}, by python {py}, codes agree {agree}");
    assert!(failures.is_empty(), "{} of {n} cases failed:\n{}", failures.len(), failures.join("\n"));
}

/// Rewrites manifest `seq` of acme-corp with `change`, signs it with the demo key and fixes
/// its chain entry, as an insider holding the key would.
fn resign(s: &Path, seq: u64, change: impl Fn(&mut Value)) {
    let key = driftgate::evidence::Signer25519::from_file(&root().join("examples/keys/demo.key")).unwrap();
    let p = manifest_of(s, "acme-corp", seq);
    let mut m = read_json(&p);
    change(&mut m);
    m.as_object_mut().unwrap().remove("signature");
    let sig = key.sign(&driftgate::canonical::to_vec(&m));
    m["signature"] = json!(sig);
    write_pretty(&p, &m);
    let mut e = read_json(&chain_entry(s, "acme-corp", seq));
    e["manifest_sha256"] = json!(driftgate::canonical::sha256_hex(&std::fs::read(&p).unwrap()));
    write_pretty(&chain_entry(s, "acme-corp", seq), &e);
}

/// A signature whose base64 differs only in its padding bits (the same bytes to a lenient
/// decoder), with the chain entry fixed to the manifest's new hash.
fn signature_padding_case() -> Case {
    case("a signature with other base64 padding bits", Some("bad_signature"), |s| {
        let p = manifest_of(s, "acme-corp", 1);
        let mut m = read_json(&p);
        let sig = m["signature"].as_str().unwrap().to_string();
        // 64 bytes are 86 characters and "==": the 86th carries 2 bits of data and 4 bits
        // of padding, which a lenient decoder ignores.
        let (body, pad) = sig.split_at(sig.len() - 3);
        const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let i = B64.iter().position(|c| *c == pad.as_bytes()[0]).unwrap();
        let tweaked = B64[(i & 0x30) | ((i + 1) & 0x0f)] as char;
        m["signature"] = json!(format!("{body}{tweaked}{}", &pad[1..]));
        write_pretty(&p, &m);
        let mut e = read_json(&chain_entry(s, "acme-corp", 1));
        e["manifest_sha256"] = json!(driftgate::canonical::sha256_hex(&std::fs::read(&p).unwrap()));
        write_pretty(&chain_entry(s, "acme-corp", 1), &e);
    })
}

#[test]
fn a_witness_ahead_of_the_store_or_tampered_is_caught_by_both() {
    let f = fixture();
    let heads = std::fs::read_to_string(&f.witness).unwrap();
    let d = tempfile::tempdir().unwrap();
    for (name, text, code) in [
        ("a later head", heads.clone() + &later_head(&heads), "missing_head"),
        ("an edited head", heads.replacen("\"sequence\":1", "\"sequence\":2", 1), "bad_witness"),
        ("a line that is not a head", heads.clone() + "{\"hello\": 1}\n", "bad_witness"),
    ] {
        let w = d.path().join("w.jsonl");
        std::fs::write(&w, text).unwrap();
        let g = Fixture {
            _dir: tempfile::tempdir().unwrap(),
            store: f.store.clone(),
            witness: w,
            public_key: f.public_key.clone(),
            script: f.script.clone(),
        };
        let r = rust_verdict(&g, &f.store, &VerifyOptions::default());
        let p = python_verdict(&g, &f.store, &[]);
        assert_eq!(r, p, "{name}");
        assert!(!r.0 && error_codes(&r).contains(&code), "{name}: {r:?}");
    }
}

/// A validly signed head one past the daily stream's newest.
fn later_head(heads: &str) -> String {
    let key = driftgate::evidence::Signer25519::from_file(&root().join("examples/keys/demo.key")).unwrap();
    let last: driftgate::evidence::WitnessHead = heads
        .lines()
        .filter_map(|l| serde_json::from_str::<driftgate::evidence::WitnessHead>(l).ok())
        .rfind(|h| h.stream == "acme-corp")
        .unwrap();
    let mut h = driftgate::evidence::WitnessHead { sequence: last.sequence + 1, ..last };
    h.signature = key.sign(&h.signing_bytes());
    h.to_line()
}

#[test]
fn date_ranges_are_judged_alike_and_bad_ones_refused_by_both() {
    let f = fixture();
    let all = VerifyOptions {
        from: Some(time::macros::date!(0001 - 01 - 01)),
        to: Some(time::macros::date!(9999 - 12 - 31)),
        ..Default::default()
    };
    let r = rust_verdict(f, &f.store, &all);
    let p = python_verdict(f, &f.store, &["--from", "0001-01-01", "--to", "9999-12-31"]);
    assert_eq!(r, p);
    let subjects: Vec<&str> = r.1.iter().filter(|x| x.1 == "missing_day").map(|x| x.3.as_str()).collect();
    assert!(subjects.contains(&"days 0001-01-01..2026-11-09"), "{subjects:?}");
    // --from after --to checks nothing: usage, exit 2, in both.
    let py = std::process::Command::new("python3")
        .arg(&f.script)
        .arg(&f.store)
        .args(["--from", "2026-11-12", "--to", "2026-11-10"])
        .output()
        .unwrap();
    assert_eq!(py.status.code(), Some(2));
    let rust = support::driftgate()
        .args(["evidence", "verify"])
        .arg(&f.store)
        .args(["--from", "2026-11-12", "--to", "2026-11-10"])
        .output()
        .unwrap();
    assert_eq!(rust.status.code(), Some(2));
}
