//! `driftgate check` through the CLI, on the bundled example and on crafted inputs.

mod support;

use serde_json::{json, Value};
use support::*;

#[test]
fn drifted_example_fails_the_gate_with_the_expected_findings_per_control() {
    let (code, r) = check_json(&[DRIFTED]);
    assert_eq!(code, 1);
    assert_eq!(r["format"], "driftgate.report/v1");
    assert_eq!(r["gate"]["result"], "fail");
    for (control, status) in [
        ("CC6.1", "FAIL"),
        ("CC6.2", "FAIL"),
        ("CC6.3", "FAIL"),
        ("CC6.6", "PASS"),
        ("CC8.1", "FAIL"),
        ("CC1.1", "NOT_TESTED"),
    ] {
        assert_eq!(control_status(&r, control), status, "{control}");
    }
    let mut ids = finding_ids(&r);
    ids.dedup();
    // Violations first, by severity, then the waived standing finding.
    assert_eq!(
        ids,
        vec![
            "GC-CC6.3-01",
            "GC-C1.1-01",
            "GC-C1.2-01",
            "GC-CC6.1-05",
            "GC-CC6.3-02",
            "GC-CC6.8-02",
            "GC-CC8.1-01",
            "GC-CC9.2-01",
            "GC-CC9.2-03",
            "GC-CC9.2-04",
            "GC-CC6.1-02",
            "GC-CC6.1-07",
            "GC-CC6.2-01",
            "GC-CC9.2-02"
        ]
    );
    // The criteria the broader pack adds, on the drifted example's changes.
    for (control, status) in
        [("C1.1", "FAIL"), ("C1.2", "FAIL"), ("CC6.8", "FAIL"), ("CC9.2", "FAIL"), ("A1.2", "PASS")]
    {
        assert_eq!(control_status(&r, control), status, "{control}");
    }
    // Fourteen real changes, keyed by resource id, and nothing from the volatile noise.
    let drift: Vec<(String, String, String)> = r["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["resource_type"].as_str().unwrap().into(),
                d["change"].as_str().unwrap().into(),
                d["path"].as_str().unwrap().into(),
            )
        })
        .collect();
    let types: Vec<&str> = drift.iter().map(|d| d.0.as_str()).collect();
    assert_eq!(
        types,
        vec![
            "authentication_settings",
            "flows",
            "integrations",
            "media_retention_policies",
            "oauth_clients",
            "queues",
            "queues",
            "queues",
            "roles",
            "skills",
            "trunks",
            "trunks",
            "trustees",
            "users"
        ]
    );
    assert!(drift
        .iter()
        .all(|d| !d.2.contains("version") && !d.2.contains("dateModified") && !d.2.contains("presence")));
    // The waived standing finding stays in the report, marked.
    let waived: Vec<&Value> = r["findings"].as_array().unwrap().iter().filter(|f| !f["waiver"].is_null()).collect();
    assert_eq!(waived.len(), 1);
    assert_eq!(waived[0]["waiver"]["ticket"], "SEC-1042");
    assert_eq!(r["summary"]["waived"], 1);
}

#[test]
fn approved_example_passes_with_no_drift() {
    let (code, r) = check_json(&[APPROVED]);
    assert_eq!(code, 0, "{}", r["gate"]);
    assert_eq!(r["summary"]["changes"], 0);
    assert_eq!(r["summary"]["drift_checked"], true);
    assert_eq!(control_status(&r, "CC8.1"), "PASS");
    assert_eq!(control_status(&r, "CC6.2"), "WAIVED");
}

#[test]
fn same_input_gives_byte_identical_reports_apart_from_the_run() {
    let strip = |mut r: Value| {
        r["run"] = Value::Null;
        serde_json::to_string_pretty(&r).unwrap()
    };
    let (_, a) = check_json(&[DRIFTED]);
    let (_, b) = check_json(&[DRIFTED]);
    assert_ne!(a["run"]["id"], b["run"]["id"]);
    assert_eq!(strip(a), strip(b));
}

#[test]
fn json_format_without_out_prints_only_the_report() {
    let out = driftgate().args(["check", APPROVED, "--format", "json"]).output().unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).expect("stdout is exactly one JSON document");
    assert_eq!(v["format"], "driftgate.report/v1");
}

#[test]
fn out_dir_gets_report_json_and_each_format() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("reports");
    driftgate()
        .args(["check", DRIFTED, "--format", "text", "--out"])
        .arg(&out)
        .assert()
        .code(1)
        .stdout(predicates::str::contains("gate: FAIL"));
    let r: Value = serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(r["summary"]["changes"], 14);
    assert!(std::fs::read_to_string(out.join("report.txt")).unwrap().contains("Drift (14 record(s))"));
}

#[test]
fn fail_on_drift_and_quarantine_add_to_the_gate() {
    let d = tempfile::tempdir().unwrap();
    // The drifted example with only the drift rule's findings waived is still gated on drift.
    let (code, r) = check_json(&[APPROVED, "--fail-on", "drift"]);
    assert_eq!((code, r["gate"]["result"].as_str()), (0, Some("pass")));
    let mut snap = read_json(APPROVED);
    snap["resources"]["users"][0]["state"] = json!("on-vacation");
    let p = write_json(d.path(), "q.json", &snap);
    let (code, r) =
        check_json(&[p.to_str().unwrap(), "--baseline", "baselines/acme-corp.json", "--fail-on", "quarantine"]);
    assert_eq!(code, 1);
    assert_eq!(r["gate"]["reasons"], json!(["1 quarantined item(s)"]));
}

#[test]
fn quarantined_items_make_dependent_controls_inconclusive_not_pass_and_are_not_drift() {
    let d = tempfile::tempdir().unwrap();
    let mut snap = read_json(APPROVED);
    let bad_id = snap["resources"]["users"][5]["id"].clone();
    snap["resources"]["users"][5]["state"] = json!("on-vacation");
    let p = write_json(d.path(), "q.json", &snap);
    let (code, r) = check_json(&[p.to_str().unwrap(), "--baseline", "baselines/acme-corp.json"]);
    assert_eq!(code, 0);
    let q = &r["quarantine"][0];
    assert_eq!((q["resource_type"].as_str(), &q["resource_id"]), (Some("users"), &bad_id));
    assert_eq!(q["schema"], "genesys-cloud/users/v1");
    assert_eq!(q["errors"][0]["instance_path"], "/state");
    assert_eq!(q["errors"][0]["schema_path"], "/properties/state/enum");
    assert_eq!(r["summary"]["changes"], 0, "a quarantined item is not a removed one");
    assert_eq!(control_status(&r, "CC6.3"), "INCONCLUSIVE");
    assert_eq!(control_status(&r, "CC6.1"), "PASS");
    assert_eq!(r["schema_gate"]["users"]["quarantined"], 1);
}

#[test]
fn uncollected_resource_type_is_inconclusive_and_populations_are_reported() {
    let d = tempfile::tempdir().unwrap();
    let mut snap = read_json(APPROVED);
    snap["resources"].as_object_mut().unwrap().remove("oauth_clients");
    snap["resources"]["trunks"] = json!([]);
    let p = write_json(d.path(), "s.json", &snap);
    let (_, r) = check_json(&[p.to_str().unwrap(), "--no-baseline"]);
    assert_eq!(control_status(&r, "CC6.1"), "INCONCLUSIVE");
    let cc61 = r["controls"].as_array().unwrap().iter().find(|c| c["id"] == "CC6.1").unwrap();
    assert!(cc61["reason"].as_str().unwrap().contains("oauth_clients was not collected"));
    assert_eq!(cc61["population"]["oauth_clients"], 0);
    // Without a baseline drift is unknown, so the drift control cannot pass.
    assert_eq!(control_status(&r, "CC8.1"), "INCONCLUSIVE");
    assert_eq!(r["summary"]["drift_checked"], false);
    assert!(r["baseline"].is_null());
}

#[test]
fn git_baseline_records_the_commit_and_work_tree_edits_are_flagged() {
    let baseline = std::fs::read_to_string(root().join("baselines/acme-corp.json")).unwrap();
    let repo = git_repo(&[("baselines/acme-corp.json", &baseline)]);
    let snap = root().join(APPROVED);
    let out = driftgate()
        .current_dir(repo.path())
        .args(["check", snap.to_str().unwrap(), "--policies", root().join("policies").to_str().unwrap()])
        .args(["--baseline", "git:HEAD:baselines/acme-corp.json", "--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let head = std::process::Command::new("git").current_dir(repo.path()).args(["rev-parse", "HEAD"]).output().unwrap();
    let head = String::from_utf8(head.stdout).unwrap().trim().to_string();
    assert_eq!(r["baseline"]["source"], "git:HEAD:baselines/acme-corp.json");
    assert_eq!(r["baseline"]["git"]["commit"], json!(head));
    assert_eq!(r["baseline"]["git"]["modified"], false);
    assert_eq!(r["summary"]["changes"], 0);

    // An uncommitted edit of the work-tree file is recorded as modified.
    let file = repo.path().join("baselines/acme-corp.json");
    std::fs::write(&file, baseline.replace("\"minimumLength\": 12", "\"minimumLength\": 8")).unwrap();
    let out = driftgate()
        .current_dir(repo.path())
        .args(["check", snap.to_str().unwrap(), "--policies", root().join("policies").to_str().unwrap()])
        .args(["--baseline", "baselines/acme-corp.json", "--format", "json"])
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["baseline"]["git"]["commit"], json!(head));
    assert_eq!(r["baseline"]["git"]["modified"], true);
    assert_eq!(r["summary"]["changes"], 1);
}

#[test]
fn secrets_never_reach_the_report() {
    let (_, r) = check_json(&[DRIFTED]);
    let text = serde_json::to_string(&r).unwrap();
    assert!(!text.contains("s3cr3t-") && !text.contains("hunter2-"), "a secret leaked into the report");
    assert!(text.contains("**REDACTED**"));
}

#[test]
fn timings_name_every_stage_on_stderr_and_leave_the_report_alone() {
    let out = driftgate().args(["check", DRIFTED, "--format", "json", "--timings"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).expect("stdout is still the report alone");
    assert_eq!(report["format"], "driftgate.report/v1");
    let stderr = String::from_utf8(out.stderr).unwrap();
    let stages: Vec<&str> = stderr
        .lines()
        .filter_map(|l| l.strip_prefix("driftgate: timing "))
        .map(|l| l.trim_end_matches(" ms").rsplit_once(' ').map_or(l, |(stage, _ms)| stage).trim())
        .collect();
    assert_eq!(
        stages,
        vec![
            "read+parse",
            "baseline",
            "compile schemas+policies",
            "normalize",
            "digest",
            "schema gate",
            "diff",
            "policy input",
            "policy evaluation",
            "report",
            "source locations",
            "render+write",
            "total (after process start)"
        ],
        "{stderr}"
    );
    for line in stderr.lines().filter(|l| l.starts_with("driftgate: timing ")) {
        let ms: f64 = line.trim_end_matches(" ms").rsplit(' ').next().unwrap().parse().unwrap();
        assert!(ms >= 0.0, "{line}");
    }
}

const CX_DRIFTED: &str = "examples/nice-cxone/globex-support.drifted.json";
const CX_APPROVED: &str = "examples/nice-cxone/globex-support.approved.json";

#[test]
fn the_cxone_example_fails_on_its_real_changes_with_only_cxone_rules() {
    let (code, r) = check_json(&[CX_DRIFTED]);
    assert_eq!(code, 1);
    assert_eq!(r["snapshot"]["platform"], "nice-cxone");
    let ids = finding_ids(&r);
    assert_eq!(
        ids,
        vec![
            "CX-CC6.3-01",
            "CX-CC6.2-02",
            "CX-CC6.2-02",
            "CX-CC6.2-03",
            "CX-CC6.3-02",
            "CX-CC6.3-02",
            "CX-CC8.1-01",
            "CX-CC8.1-01",
            "CX-CC8.1-01",
            "CX-CC8.1-01",
            "CX-CC8.1-01",
            "CX-CC8.1-01",
            "CX-CC6.2-01"
        ]
    );
    // Only the CXone pack is evaluated and reported; the Genesys waiver is not called stale.
    let rules: Vec<&str> = r["rules"].as_array().unwrap().iter().map(|x| x["id"].as_str().unwrap()).collect();
    assert!(rules.iter().all(|id| id.starts_with("CX-")), "{rules:?}");
    assert_eq!(rules.len(), 11);
    assert!(r["waivers"].as_array().unwrap().is_empty(), "{}", r["waivers"]);
    for (control, status) in [("CC6.2", "FAIL"), ("CC6.3", "FAIL"), ("CC8.1", "FAIL"), ("CC6.1", "NOT_TESTED")] {
        assert_eq!(control_status(&r, control), status, "{control}");
    }
    // Six real changes; last login, last use, links, counters and reordered lists are noise.
    let drift: Vec<String> = r["drift"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}/{} {}",
                d["resource_type"].as_str().unwrap(),
                d["resource_id"].as_str().unwrap(),
                d["path"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        drift,
        vec![
            "access_keys/AKGLOBEX0LEGACYIVR03 ",
            "agents/30006 /profileId",
            "agents/30010 /profileId",
            "business_unit/business_unit /sessionTimeoutMinutes",
            "points_of_contact/8002 /defaultSkillId",
            "security_profiles/1005 /permissions/Employees"
        ]
    );
    // The idle key is measured to the collection (2026-11-22), not to today.
    let idle = r["findings"].as_array().unwrap().iter().find(|f| f["id"] == "CX-CC6.2-01").unwrap();
    assert_eq!(idle["msg"], "access key AKGLOBEX0LEGACYIVR03 has not been used for 203 days (limit 90)");

    let (code, r) = check_json(&[CX_APPROVED]);
    assert_eq!(code, 0, "{}", r["findings"]);
    assert_eq!(control_status(&r, "CC6.2"), "PASS");

    // And the Genesys example sees no CXone rule.
    let (_, g) = check_json(&[DRIFTED]);
    assert!(g["rules"].as_array().unwrap().iter().all(|x| x["id"].as_str().unwrap().starts_with("GC-")));
}
