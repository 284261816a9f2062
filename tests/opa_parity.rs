//! Parity with real OPA (v1.20, the Go engine embedded in the `opa-golib-python-bindings`
//! wheel that `.ci/test` installs into `target/test-deps/opa`): for the example tenants of
//! both platforms, generated tenants of both, a quarantine case and a waiver case, the whole
//! bundle evaluated by OPA on what `check --dump-input` wrote gives exactly driftgate's
//! findings (rule, message, resource and path, as multisets), and every `test_*` rule of the
//! bundle passes under OPA too.

mod support;

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use support::*;

fn opa_lib() -> PathBuf {
    let dir = root().join("target/test-deps/opa");
    assert!(
        dir.join("opa_bindings").is_dir(),
        "real OPA is not installed at {}: run the suite with .ci/test, which installs it",
        dir.display()
    );
    dir
}

type Finding = (String, Option<String>, Option<(String, String)>, Option<String>);

fn findings_of(list: &[Value]) -> Vec<Finding> {
    let mut out: Vec<Finding> = list
        .iter()
        .map(|f| {
            let s = |v: &Value| v.as_str().map(str::to_string);
            let resource = match &f["resource"] {
                Value::Object(r) => Some((s(&r["type"]).unwrap_or_default(), s(&r["id"]).unwrap_or_default())),
                Value::Array(r) => Some((s(&r[0]).unwrap_or_default(), s(&r[1]).unwrap_or_default())),
                _ => None,
            };
            (s(&f["rule"]).unwrap_or_default(), s(&f["msg"]), resource, s(&f["path"]))
        })
        .collect();
    out.sort();
    out
}

/// `check SNAPSHOT --dump-input DIR` and driftgate's findings.
fn check_and_dump(snapshot: &Path, dump: &Path, extra: &[&str]) -> Vec<Finding> {
    let out = driftgate()
        .arg("check")
        .arg(snapshot)
        .args(["--format", "json", "--dump-input"])
        .arg(dump)
        .args(extra)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    findings_of(report["findings"].as_array().unwrap())
}

fn opa(args: &[&std::ffi::OsStr]) -> Value {
    let out = std::process::Command::new("python3")
        .arg(root().join("tests/support/opa_eval.py"))
        .arg(opa_lib())
        .arg(root().join("policies"))
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "OPA: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_whole_bundle_under_real_opa_gives_exactly_driftgates_findings() {
    let d = tempfile::tempdir().unwrap();
    let mut cases: Vec<(String, PathBuf, Vec<&str>)> = vec![
        ("genesys approved".into(), root().join(APPROVED), vec![]),
        ("genesys drifted (with a waiver)".into(), root().join(DRIFTED), vec![]),
        ("cxone approved".into(), root().join("examples/nice-cxone/globex-support.approved.json"), vec![]),
        ("cxone drifted".into(), root().join("examples/nice-cxone/globex-support.drifted.json"), vec![]),
    ];
    let generated_genesys = write_json(d.path(), "gen-genesys.json", &tenant::genesys(400, 11));
    let generated_cxone = write_json(d.path(), "gen-cxone.json", &tenant::cxone(300, 5));
    cases.push(("generated genesys tenant".into(), generated_genesys, vec!["--no-baseline"]));
    cases.push(("generated cxone tenant".into(), generated_cxone, vec!["--no-baseline"]));
    // Quarantine: an item the schema gate refuses never reaches either engine.
    let mut q = read_json(DRIFTED);
    q["resources"]["users"][0]["state"] = json!(42);
    q["resources"]["roles"][0]["permissions"] = json!("not a list");
    cases.push(("quarantine".into(), write_json(d.path(), "quarantine.json", &q), vec![]));
    // An audit checkpoint in the run context (the CC7.2 rule reads it).
    let ctx = write_json(d.path(), "ctx.json", &json!({"audit": {"checkpoint": "2026-11-01T00:00:00Z"}}));
    let ctx_arg: &'static str = Box::leak(ctx.display().to_string().into_boxed_str());
    cases.push(("stale audit checkpoint".into(), root().join(DRIFTED), vec!["--run-context", ctx_arg]));

    let mut dumps = Vec::new();
    let mut ours = Vec::new();
    for (i, (_, snap, extra)) in cases.iter().enumerate() {
        let dump = d.path().join(format!("dump-{i}"));
        ours.push(check_and_dump(snap, &dump, extra));
        dumps.push(dump);
    }
    let mut args: Vec<&std::ffi::OsStr> = vec!["findings".as_ref()];
    args.extend(dumps.iter().map(|p| p.as_os_str()));
    let theirs = opa(&args);
    let mut identical = 0;
    for ((name, ..), (ours, theirs)) in cases.iter().zip(ours.iter().zip(theirs.as_array().unwrap())) {
        let theirs = findings_of(theirs.as_array().unwrap());
        let only_ours: Vec<&Finding> = ours.iter().filter(|f| !theirs.contains(f)).collect();
        let only_opa: Vec<&Finding> = theirs.iter().filter(|f| !ours.contains(f)).collect();
        assert!(
            ours == &theirs,
            "{name}: driftgate and OPA disagree\n  only driftgate: {only_ours:#?}\n  only OPA: {only_opa:#?}"
        );
        identical += ours.len();
    }
    assert!(identical > 50, "the cases find too little to compare: {identical}");
    // Every test_* rule passes under OPA as it does under driftgate.
    let data = dumps[0].join("data.json");
    let tests = opa(&["tests".as_ref(), data.as_os_str()]);
    let failed: Vec<&String> =
        tests.as_object().unwrap().iter().filter(|(_, ok)| **ok != true).map(|(k, _)| k).collect();
    assert!(failed.is_empty(), "tests failing under OPA: {failed:?}");
    let t = tests.as_object().unwrap().len();
    assert!(t >= 70, "{t} tests");
    println!("opa parity: {} snapshots, {identical} findings identical, {t} tests", cases.len());
}

#[test]
fn dump_input_is_what_the_policies_saw() {
    let d = tempfile::tempdir().unwrap();
    let mut q = read_json(DRIFTED);
    q["resources"]["users"][0]["state"] = json!(42);
    let snap = write_json(d.path(), "s.json", &q);
    let dump = d.path().join("dump");
    check_and_dump(&snap, &dump, &[]);
    let input: Value = serde_json::from_slice(&std::fs::read(dump.join("input.json")).unwrap()).unwrap();
    let data: Value = serde_json::from_slice(&std::fs::read(dump.join("data.json")).unwrap()).unwrap();
    // The quarantined user is not in the input; the drift records and run context are in data.
    let bad_id = q["resources"]["users"][0]["id"].clone();
    assert!(input["resources"]["users"].as_array().unwrap().iter().all(|u| u["id"] != bad_id));
    assert_eq!(input["metadata"]["platform"], "genesys-cloud");
    assert!(data["driftgate"]["drift"].as_array().is_some_and(|d| !d.is_empty()));
    assert_eq!(data["driftgate"]["run"]["tenant"], "acme-corp");
    assert!(data["soc2"]["genesys"]["params"].is_object(), "the bundle's data at its path");
    // A directory that cannot be written is exit 2, and nothing half-written.
    let blocked = d.path().join("blocked");
    std::fs::write(&blocked, b"a file").unwrap();
    let out = driftgate().arg("check").arg(&snap).arg("--dump-input").arg(&blocked).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}
