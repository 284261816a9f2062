//! Property tests on every parser that reads what a user hands driftgate: random mutations of
//! a snapshot, a baseline, a config, a policy's METADATA and a credentials file. Whatever the
//! bytes, the binary answers with exit 0, 1 or 2 and a diagnostic: never a panic, and never
//! a secret on its output.

mod support;

use proptest::prelude::*;
use std::path::Path;
use support::*;

const SECRET: &str = "Fz8-credential-Secret-314";

/// One mutation of a text's bytes: replace, insert or delete at a position, or cut the end.
#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, u8),
    Insert(usize, u8),
    Delete(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    // Bytes that matter to JSON, TOML and YAML, and some that matter to nothing.
    let byte = prop::sample::select(b"{}[]\",:=#-\n \t\\0123456789.eE+truefalsnl\x00\xff\xc3".to_vec());
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Mutation::Replace(i, b)),
        (any::<usize>(), byte).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Applies the mutations to `text`, only inside `range` (positions wrap into it).
fn mutate(text: &[u8], ms: &[Mutation], range: std::ops::Range<usize>) -> Vec<u8> {
    let mut b = text.to_vec();
    for m in ms {
        let span = range.end.min(b.len()).saturating_sub(range.start).max(1);
        let at = |i: usize| range.start + i % span;
        match *m {
            Mutation::Replace(i, c) if !b.is_empty() => {
                let i = at(i).min(b.len() - 1);
                b[i] = c;
            }
            Mutation::Insert(i, c) => {
                let i = at(i).min(b.len());
                b.insert(i, c);
            }
            Mutation::Delete(i) if !b.is_empty() => {
                let i = at(i).min(b.len() - 1);
                b.remove(i);
            }
            Mutation::Truncate(i) => {
                let i = at(i).min(b.len());
                b.truncate(i);
            }
            _ => {}
        }
    }
    b
}

fn assert_answered(out: &std::process::Output, what: &str) {
    let code = out.status.code();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(code, Some(0..=2)), "{what}: exit {code:?}\n{err}");
    assert!(!err.contains("panicked") && !err.contains("RUST_BACKTRACE"), "{what}: a panic\n{err}");
}

fn no_secret(out: &std::process::Output, what: &str) {
    for stream in [&out.stdout, &out.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains("Secret-314"), "{what}: the secret was shown");
    }
}

fn config() -> &'static ProptestConfig {
    static C: std::sync::OnceLock<ProptestConfig> = std::sync::OnceLock::new();
    C.get_or_init(|| ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })
}

/// A small snapshot, as text (a few users, roles and the authentication settings).
fn small_snapshot() -> String {
    let mut doc = read_json(APPROVED);
    for (_, items) in doc["resources"].as_object_mut().unwrap().iter_mut() {
        items.as_array_mut().unwrap().truncate(2);
    }
    serde_json::to_string_pretty(&doc).unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

proptest! {
    #![proptest_config(config().clone())]

    #[test]
    fn a_mutated_snapshot_or_baseline_gets_an_answer(ms in prop::collection::vec(mutation(), 1..6)) {
        let d = tempfile::tempdir().unwrap();
        let text = small_snapshot();
        let bad = write(d.path(), "s.json", &mutate(text.as_bytes(), &ms, 0..text.len()));
        let good = write(d.path(), "good.json", text.as_bytes());
        let out = driftgate().arg("check").arg(&bad).arg("--no-baseline").output().unwrap();
        assert_answered(&out, "check");
        let out = driftgate().arg("check").arg(&good).arg("--baseline").arg(&bad).output().unwrap();
        assert_answered(&out, "check --baseline");
        let out = driftgate().arg("normalize").arg(&bad).output().unwrap();
        assert_answered(&out, "normalize");
    }

    #[test]
    fn a_mutated_config_gets_an_answer_without_its_secrets(ms in prop::collection::vec(mutation(), 1..6)) {
        let d = tempfile::tempdir().unwrap();
        let head = "[store]\nkind = \"local\"\npath = \"store\"\nretention_days = 30\n\n[check]\nfail_on = [\"drift\"]\n\
                    formats = [\"text\"]\n\n[[tenants]]\nname = \"acme-corp\"\nplatform = \"genesys-cloud\"\n\n";
        let secrets = format!("[[alerts]]\nkind = \"webhook\"\nurl = \"https://hooks.example/services/{SECRET}\"\n");
        // Mutations stay out of the secret-bearing lines: a mutation that renamed `url`
        // would make its value an ordinary one.
        let text = format!("{head}{secrets}");
        let cfg = write(d.path(), "driftgate.toml", &mutate(text.as_bytes(), &ms, 0..head.len()));
        let out = driftgate().args(["audit", "status", "--config"]).arg(&cfg).output().unwrap();
        assert_answered(&out, "audit status --config");
        no_secret(&out, "config");
    }

    #[test]
    fn mutated_metadata_gets_an_answer(ms in prop::collection::vec(mutation(), 1..6)) {
        let d = tempfile::tempdir().unwrap();
        let rego = "# METADATA\n# title: A rule\n# custom:\n#   id: T-1\n#   controls: [CC6.1]\n#   severity: high\n#   platform: genesys-cloud\npackage t\n\ndeny contains {\"msg\": \"x\"} if { input.resources.users[_].state == \"x\" }\n";
        let end = rego.find("package").unwrap();
        write(d.path(), "t.rego", &mutate(rego.as_bytes(), &ms, 0..end));
        let out = driftgate().args(["policy", "lint"]).arg(d.path()).output().unwrap();
        assert_answered(&out, "policy lint");
        let out = driftgate().args(["check", APPROVED, "--no-baseline", "--policies"]).arg(d.path()).output().unwrap();
        assert_answered(&out, "check --policies");
    }

    #[test]
    fn a_mutated_credentials_file_never_shows_its_secret(ms in prop::collection::vec(mutation(), 1..6)) {
        let d = tempfile::tempdir().unwrap();
        let text = format!("{{\"client_id\": \"svc-collector\", \"client_secret\": \"{SECRET}\"}}");
        let creds = write(d.path(), "creds.json", &mutate(text.as_bytes(), &ms, 0..text.len()));
        // A file that still parses goes on to a closed port on loopback and fails there.
        let out = driftgate()
            .args(["collect", "--platform", "genesys-cloud", "--tenant", "acme-corp", "--base-url", "http://127.0.0.1:9"])
            .arg("--credentials-file")
            .arg(&creds)
            .env("DRIFTGATE_RETRY_BASE_MS", "1")
            .env("DRIFTGATE_LOG", "debug")
            .output()
            .unwrap();
        assert_answered(&out, "collect --credentials-file");
        assert_eq!(out.status.code(), Some(2));
        no_secret(&out, "credentials");
    }
}
