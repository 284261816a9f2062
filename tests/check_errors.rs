//! Every way `check` can be refused: a clear diagnostic, exit 2, and nothing written.

mod support;

use predicates::prelude::*;
use serde_json::json;
use support::*;

fn refused(args: &[&str], expect: &[&str]) {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("out");
    let assert =
        driftgate().arg("check").args(args).arg("--out").arg(&out).assert().code(2).stdout(predicate::str::is_empty());
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    for e in expect {
        assert!(stderr.contains(e), "stderr lacks {e:?}:\n{stderr}");
    }
    assert!(!out.exists(), "an output directory was written for a refused check");
}

#[test]
fn malformed_json_points_at_line_and_column() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path().join("bad.json");
    std::fs::write(&p, "{\n  \"format\": \"driftgate.snapshot/v1\",\n  \"metadata\": {,}\n}\n").unwrap();
    refused(&[p.to_str().unwrap()], &["bad.json", "is not a JSON document", "bad.json:3:"]);
}

#[test]
fn snapshot_of_another_format_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let p = write_json(d.path(), "r.json", &json!({"format": "driftgate.report/v1"}));
    refused(&[p.to_str().unwrap()], &["unsupported document format", "driftgate.snapshot/v1"]);
}

#[test]
fn missing_snapshot_is_refused() {
    refused(&["no/such/snapshot.json"], &["cannot read", "no/such/snapshot.json"]);
}

#[test]
fn invalid_schema_is_refused_with_its_location() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("schemas/genesys-cloud/users");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("v1.schema.json"),
        "{\n  \"type\": \"object\",\n  \"properties\": {\"id\": {\"type\": \"strin\"}}\n}\n",
    )
    .unwrap();
    refused(
        &[APPROVED, "--schemas", d.path().join("schemas").to_str().unwrap()],
        &["schema", "v1.schema.json", "strin"],
    );
}

#[test]
fn rego_syntax_error_is_refused_with_file_and_line() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("broken.rego"),
        "package broken\n\nimport rego.v1\n\ndeny contains msg if {\n  msg := \n}\n",
    )
    .unwrap();
    refused(&[APPROVED, "--policies", d.path().to_str().unwrap()], &["broken.rego", "does not compile"]);
}

#[test]
fn http_send_is_refused_at_load_time() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("net.rego"),
        "package net\n\nimport rego.v1\n\ndeny contains \"x\" if {\n\tr := http.send({\"method\": \"get\", \"url\": \"https://example.com\"})\n\tr.status_code != 200\n}\n",
    )
    .unwrap();
    refused(&[APPROVED, "--policies", d.path().to_str().unwrap()], &["http.send is not allowed", "net.rego"]);
}

#[test]
fn missing_explicit_baseline_is_refused() {
    refused(&[APPROVED, "--baseline", "baselines/nope.json"], &["baselines/nope.json", "file not found"]);
}

#[test]
fn baseline_of_another_tenant_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let mut snap = read_json(APPROVED);
    snap["metadata"]["tenant"] = json!("other-corp");
    let p = write_json(d.path(), "s.json", &snap);
    refused(&[p.to_str().unwrap(), "--baseline", "baselines/acme-corp.json"], &["is for acme-corp", "other-corp"]);
}

#[test]
fn policy_runtime_error_fails_closed() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("boom.rego"),
        "package boom\n\nimport rego.v1\n\ndeny contains \"never\" if {\n\tsome u in input.resources.users\n\tto_number(u.name) > 1\n}\n",
    )
    .unwrap();
    refused(
        &[APPROVED, "--policies", d.path().to_str().unwrap(), "--no-baseline"],
        &["failed to evaluate", "fail-closed"],
    );
}

#[test]
fn policy_timeout_fails_closed() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("slow.rego"),
        "package slow\n\nimport rego.v1\n\ndeny contains \"slow\" if {\n\tcount([x | some x in numbers.range(1, 50000000); x % 7 == 0]) < 0\n}\n",
    )
    .unwrap();
    refused(
        &[APPROVED, "--policies", d.path().to_str().unwrap(), "--no-baseline", "--policy-timeout", "1"],
        &["failed to evaluate"],
    );
}

#[test]
fn unknown_platform_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let mut snap = snapshot("t", json!({}));
    snap["metadata"]["platform"] = json!("avaya");
    let p = write_json(d.path(), "s.json", &snap);
    refused(&[p.to_str().unwrap()], &["unknown platform", "genesys-cloud"]);
}

#[test]
fn bad_waiver_file_is_refused() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(
        d.path().join("waivers.json"),
        r#"{"waivers": [{"rule": "X", "resource": {"type": "users", "id": "*"}, "reason": "r", "owner": "o", "approved_by": "a", "ticket": "T", "expires": "soon"}]}"#,
    )
    .unwrap();
    refused(&[APPROVED, "--policies", d.path().to_str().unwrap()], &["expires", "is not a date"]);
}
