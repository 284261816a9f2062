//! No way in through inputs: what an attacker or a careless operator hands driftgate on the
//! command line, in a snapshot, a baseline, a credentials file or a config is refused with a
//! diagnostic (exit 2, nothing written) or rendered harmless; never run, never leaked.

mod support;

use serde_json::{json, Value};
use std::path::Path;
use support::*;

const SECRET: &str = "Zq9-very-secret-Value-77";

/// Standard error with miette's line wrapping undone.
fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).split_whitespace().filter(|w| *w != "│").collect::<Vec<_>>().join(" ")
}

#[test]
fn a_git_revision_is_never_read_as_an_option() {
    let d = tempfile::tempdir().unwrap();
    let target = d.path().join("written-by-git");
    let baseline = format!("git:--output={}:baselines/acme-corp.json", target.display());
    let out = driftgate().args(["check", DRIFTED, "--baseline", &baseline]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(!target.exists(), "git wrote a file named on the command line");
    assert!(stderr_of(&out).contains("not a git revision"), "{}", stderr_of(&out));
    // A real revision still works.
    let ok = driftgate().args(["check", APPROVED, "--baseline", "git:HEAD:baselines/acme-corp.json"]).output().unwrap();
    assert_eq!(ok.status.code(), Some(0), "{}", stderr_of(&ok));
}

#[test]
fn a_malformed_credentials_file_is_located_but_never_quoted() {
    let d = tempfile::tempdir().unwrap();
    for (i, text) in [
        format!("{{\"client_id\": \"svc\", \"client_secret\": \"{SECRET}\",}}"),
        format!("{{\"client_id\": 42, \"client_secret\": \"{SECRET}\"}}"),
        format!("{{\"client_secret\": \"{SECRET}\"}}"),
        format!("client_secret={SECRET}"),
        format!("{{\"client_id\": \"a\", \"client_secret\": \"{SECRET}\", \"client_secret\": \"{SECRET}\"}}"),
    ]
    .iter()
    .enumerate()
    {
        let p = d.path().join(format!("creds{i}.json"));
        std::fs::write(&p, text).unwrap();
        for platform in [
            &["--platform", "genesys-cloud", "--region", "mypurecloud.com"][..],
            &["--platform", "nice-cxone", "--region", "na1"],
        ] {
            let out = driftgate()
                .arg("collect")
                .args(platform)
                .args(["--tenant", "acme-corp", "--credentials-file"])
                .arg(&p)
                .output()
                .unwrap();
            let err = stderr_of(&out);
            assert_eq!(out.status.code(), Some(2), "{text}: {err}");
            assert!(
                !err.contains("very-secret") && !String::from_utf8_lossy(&out.stdout).contains("very-secret"),
                "{text}: {err}"
            );
            assert!(err.contains("line 1"), "{text}: {err}");
        }
    }
}

#[test]
fn a_config_error_never_shows_a_secret_value_or_a_webhook_path() {
    let d = tempfile::tempdir().unwrap();
    let cfg = d.path().join("driftgate.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[alerts]]\nkind = \"slack\"\nurl = \"https://hooks.slack.example/services/T0/B0/{SECRET}\"\ntoken = \"{SECRET}\"\n"
        ),
    )
    .unwrap();
    let out = driftgate().args(["run", "--config"]).arg(&cfg).output().unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(!err.contains("very-secret"), "{err}");
    assert!(err.contains("token"), "the diagnostic still says where: {err}");
}

/// The drifted example with one user's name replaced by `name` (a user with findings).
fn with_user_name(dir: &Path, name: &str) -> std::path::PathBuf {
    let mut doc = read_json(DRIFTED);
    for u in doc["resources"]["users"].as_array_mut().unwrap() {
        if u["name"] == "Tom Reed" {
            u["name"] = json!(name);
        }
    }
    write_json(dir, "acme-corp.json", &doc)
}

#[test]
fn snapshot_data_never_becomes_a_workflow_command_a_terminal_sequence_or_a_formula() {
    let d = tempfile::tempdir().unwrap();
    let evil = "Tom\n::error file=.github/workflows/x.yml::pwned\u{1b}]0;owned\u{7}\u{202e}##[warning]x";
    let snap = with_user_name(d.path(), evil);
    let out_dir = d.path().join("out");
    let out = driftgate()
        .arg("check")
        .arg(&snap)
        .args(["--format", "text", "--format", "markdown", "--format", "csv", "--format", "github", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("Tom"), "the finding is still shown");
    for (name, text) in [
        ("stdout", stdout.clone()),
        ("report.txt", std::fs::read_to_string(out_dir.join("report.txt")).unwrap()),
        ("report.md", std::fs::read_to_string(out_dir.join("report.md")).unwrap()),
        ("report.csv", std::fs::read_to_string(out_dir.join("report.csv")).unwrap()),
    ] {
        for line in text.lines() {
            assert!(!line.trim_start().starts_with("::"), "{name}: a workflow command: {line}");
        }
        assert!(!text.contains("##[") && !text.contains('\u{1b}') && !text.contains('\u{7}'), "{name}");
        assert!(!text.contains('\u{202e}'), "{name}: a bidi override");
    }
    // The annotations file is workflow commands by design: data inside them is escaped.
    let gh = std::fs::read_to_string(out_dir.join("report.github.txt")).unwrap();
    for line in gh.lines().filter(|l| !l.starts_with("driftgate: ")) {
        assert!(
            line.starts_with("::error ") || line.starts_with("::warning ") || line.starts_with("::notice "),
            "{line}"
        );
        assert!(!line.contains('\u{1b}') && !line.contains("##["), "{line}");
    }
    // The JSON report keeps the data as it was.
    let report: Value = serde_json::from_str(&std::fs::read_to_string(out_dir.join("report.json")).unwrap()).unwrap();
    assert!(report["findings"].as_array().unwrap().iter().any(|f| f["msg"].as_str().unwrap_or("").contains(evil)));
}

#[test]
fn csv_cells_that_start_a_formula_are_written_as_text() {
    let d = tempfile::tempdir().unwrap();
    let snap = with_user_name(d.path(), "=HYPERLINK(\"http://x\",\"y\")");
    let out_dir = d.path().join("out");
    let out = driftgate().arg("check").arg(&snap).args(["--format", "csv", "--out"]).arg(&out_dir).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let csv = std::fs::read_to_string(out_dir.join("report.csv")).unwrap();
    assert!(csv.contains("\"'=HYPERLINK("), "{csv}");
    assert!(!csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"), "{csv}");
}

#[test]
fn a_bundle_with_nothing_for_the_platform_is_not_a_pass() {
    let d = tempfile::tempdir().unwrap();
    let empty = d.path().join("policies");
    std::fs::create_dir(&empty).unwrap();
    let out = driftgate().args(["check", APPROVED, "--policies"]).arg(&empty).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(stderr_of(&out).contains("nothing would be checked"), "{}", stderr_of(&out));
    // Rules for another platform only: still nothing checked.
    let other = d.path().join("cxone-only");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(
        other.join("p.rego"),
        "# METADATA\n# custom:\n#   platform: nice-cxone\npackage x\n\n# METADATA\n# custom:\n#   id: X-1\n#   controls: [CC6.1]\n#   severity: low\ndeny contains {\"msg\": \"x\"} if { false }\n",
    )
    .unwrap();
    let out = driftgate().args(["check", APPROVED, "--policies"]).arg(&other).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let store = d.path().join("store");
    let out = driftgate()
        .args(["run", "--snapshot", APPROVED, "--signing-key", "examples/keys/demo.key", "--policies"])
        .arg(&empty)
        .arg("--store")
        .arg(&store)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(walk(&store.join("acme-corp")).is_empty(), "nothing is stored for a check that was not done");
}

#[test]
fn a_key_given_twice_is_refused_in_snapshots_baselines_and_configs() {
    let d = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(root().join(APPROVED)).unwrap();
    let twice = text.replacen(
        "\"multifactorAuthenticationRequired\": true",
        "\"multifactorAuthenticationRequired\": false, \"multifactorAuthenticationRequired\": true",
        1,
    );
    assert_ne!(twice, text, "the example has the MFA setting");
    let snap = d.path().join("twice.json");
    std::fs::write(&snap, &twice).unwrap();
    let out = driftgate().arg("check").arg(&snap).output().unwrap();
    let err = stderr_of(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("duplicate key \"multifactorAuthenticationRequired\""), "{err}");
    let out = driftgate().args(["check", APPROVED, "--baseline"]).arg(&snap).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    // The baseline's items are only located when it is read; the one holding the key twice
    // differs from the snapshot's, so it is parsed, and refused with the same diagnostic.
    assert!(stderr_of(&out).contains("duplicate key \"multifactorAuthenticationRequired\""), "{}", stderr_of(&out));
    assert!(out.stdout.is_empty(), "no report for a refused baseline");
    for cmd in [&["normalize"][..], &["baseline", "update"]] {
        let mut c = driftgate();
        c.args(cmd).arg(&snap);
        if cmd[0] == "baseline" {
            c.arg("--baseline").arg(d.path().join("b.json"));
        }
        let out = c.output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd:?}: {}", stderr_of(&out));
    }
    assert!(!d.path().join("b.json").exists());
    let cfg = d.path().join("driftgate.toml");
    std::fs::write(&cfg, "[store]\nkind = \"local\"\nkind = \"s3\"\n").unwrap();
    let out = driftgate().args(["run", "--config"]).arg(&cfg).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    assert!(stderr_of(&out).contains("duplicate key"), "{}", stderr_of(&out));
}

#[test]
fn integers_beyond_64_bits_are_refused_never_rounded() {
    let d = tempfile::tempdir().unwrap();
    let mut a = read_json(APPROVED);
    a["resources"]["users"][0]["employerInfo"] = json!({"employeeId": "x"});
    let text = serde_json::to_string_pretty(&a).unwrap().replacen(
        "\"employeeId\": \"x\"",
        "\"employeeId\": 12345678901234567890123",
        1,
    );
    let p = d.path().join("big.json");
    std::fs::write(&p, text).unwrap();
    for cmd in [&["check"][..], &["normalize"]] {
        let out = driftgate().args(cmd).arg(&p).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{cmd:?}");
        assert!(stderr_of(&out).contains("2^64"), "{}", stderr_of(&out));
    }
}

#[test]
fn out_is_all_or_nothing() {
    let d = tempfile::tempdir().unwrap();
    let out_dir = d.path().join("reports");
    std::fs::create_dir_all(out_dir.join("report.sarif")).unwrap(); // the sarif file cannot be written
    let out = driftgate()
        .args(["check", DRIFTED, "--format", "markdown", "--format", "sarif", "--out"])
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr_of(&out));
    let left: Vec<String> =
        std::fs::read_dir(&out_dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(left, vec!["report.sarif"], "nothing new remains");
}

#[test]
fn reserved_tenant_names_are_refused_before_anything_is_written() {
    let d = tempfile::tempdir().unwrap();
    for name in ["verify_evidence.py", "driftgate.pub", "chain", "acme.audit", "acme.forensics", ".hidden"] {
        let mut doc = read_json(APPROVED);
        doc["metadata"]["tenant"] = json!(name);
        let snap = write_json(d.path(), "s.json", &doc);
        let store = d.path().join(format!("store-{}", name.trim_start_matches('.')));
        let out = driftgate()
            .args(["run", "--signing-key", "examples/keys/demo.key", "--snapshot"])
            .arg(&snap)
            .arg("--store")
            .arg(&store)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}: {}", stderr_of(&out));
        assert!(!store.exists() || walk(&store).is_empty(), "{name}: {:?}", walk(&store));
    }
}

#[test]
fn temporary_files_of_a_killed_run_are_reported_then_removed_by_the_next_run() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let run = || {
        driftgate()
            .args(["run", "--snapshot", APPROVED, "--signing-key", "examples/keys/demo.key", "--store"])
            .arg(&store)
            .output()
            .unwrap()
    };
    assert_eq!(run().status.code(), Some(0));
    // What a run killed between its write and its link leaves behind.
    let debris = [store.join("acme-corp/2026/.report.json.4242.tmp"), store.join(".driftgate.pub.4243.tmp")];
    std::fs::create_dir_all(debris[0].parent().unwrap()).unwrap();
    for p in &debris {
        std::fs::write(p, b"half").unwrap();
    }
    let verify = || {
        let out = driftgate()
            .args(["evidence", "verify", "--format", "json", "--public-key", "examples/keys/demo.pub"])
            .arg(&store)
            .output()
            .unwrap();
        (out.status.code(), serde_json::from_slice::<Value>(&out.stdout).unwrap())
    };
    let (code, v) = verify();
    assert_eq!(code, Some(0), "debris is a warning, not an integrity failure: {v}");
    let warned: Vec<&str> = v["problems"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    assert_eq!(warned, ["incomplete_package", "incomplete_package"], "{v}");
    assert_eq!(run().status.code(), Some(0));
    assert!(debris.iter().all(|p| !p.exists()), "the next run removes them");
    let (code, v) = verify();
    assert_eq!(code, Some(0));
    assert!(v["problems"].as_array().unwrap().is_empty(), "{v}");
    assert_eq!(v["key_pinned"], true);
}
