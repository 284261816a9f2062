//! The Genesys SOC 2 pack on the example tenant: the expected findings per control, and for
//! every rule a change that breaks exactly that rule flips exactly that rule's controls.

mod support;

use driftgate::baseline::BaselineSource;
use driftgate::check::{run_check, BaselineChoice, CheckOptions};
use driftgate::report::{ControlStatus, Report};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use support::*;
use time::macros::datetime;

fn check(snapshot: &Value, baseline: bool, run_context: Value) -> Report {
    let d = tempfile::tempdir().unwrap();
    let path = write_json(d.path(), "s.json", snapshot);
    let mut opts = CheckOptions::new(path);
    opts.policies = root().join("policies");
    opts.baseline = if baseline {
        BaselineChoice::Given(BaselineSource::Path(root().join("baselines/acme-corp.json")))
    } else {
        BaselineChoice::Skip
    };
    opts.run_context = run_context.as_object().cloned().unwrap_or_default();
    opts.as_of = Some(datetime!(2026-11-22 09:00 UTC));
    run_check(&opts).unwrap().report
}

fn statuses(r: &Report) -> BTreeMap<String, ControlStatus> {
    r.controls.iter().map(|c| (c.id.clone(), c.status)).collect()
}

fn failing_rules(r: &Report) -> BTreeSet<String> {
    r.findings
        .iter()
        .filter(|f| f.level == driftgate::policy::Level::Violation)
        .filter(|f| f.waiver.as_ref().is_none_or(|w| w.status != driftgate::policy::WaiverStatus::Active))
        .map(|f| f.id.clone())
        .collect()
}

fn find<'a>(items: &'a mut Value, key: &str, name: &str) -> &'a mut Value {
    items.as_array_mut().unwrap().iter_mut().find(|i| i[key] == name).unwrap_or_else(|| panic!("no {name}"))
}

fn role_ref(snap: &Value, name: &str) -> Value {
    let r = snap["resources"]["roles"].as_array().unwrap().iter().find(|r| r["name"] == name).unwrap();
    json!({"id": r["id"], "name": r["name"]})
}

#[test]
fn drifted_example_findings_per_control() {
    let r = check(&read_json(DRIFTED), true, json!({}));
    let mut per_control: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in r.findings.iter().filter(|f| f.waiver.is_none()) {
        for c in &f.controls {
            per_control.entry(c.clone()).or_default().insert(f.id.clone());
        }
    }
    let expect = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(per_control["CC6.1"], expect(&["GC-CC6.1-02", "GC-CC6.1-05", "GC-CC6.1-07"]));
    assert_eq!(per_control["CC6.2"], expect(&["GC-CC6.3-01"]));
    assert_eq!(per_control["CC6.3"], expect(&["GC-CC6.3-01", "GC-CC6.3-02"]));
    assert_eq!(per_control["CC8.1"], expect(&["GC-CC8.1-01"]));
    assert!(!per_control.contains_key("CC6.6"));
    let s = statuses(&r);
    assert_eq!(s["CC7.2"], ControlStatus::Inconclusive, "no audit checkpoint was given");
    assert_eq!(s["CC6.6"], ControlStatus::Pass);
}

#[test]
fn fixing_each_violation_of_the_drifted_example_flips_exactly_its_controls() {
    let drifted = read_json(DRIFTED);
    let before = statuses(&check(&drifted, false, json!({})));
    // Fixes for CC6.1: the password length and the legacy password-grant client.
    let mut fixed = drifted.clone();
    fixed["resources"]["authentication_settings"][0]["passwordRequirements"]["minimumLength"] = json!(12);
    fixed["resources"]["oauth_clients"].as_array_mut().unwrap().retain(|c| c["name"] != "Legacy reporting script");
    let after = statuses(&check(&fixed, false, json!({})));
    assert_eq!(before["CC6.1"], ControlStatus::Fail);
    assert_eq!(after["CC6.1"], ControlStatus::Pass);
    assert_eq!(after.iter().filter(|(k, v)| before[*k] != **v).count(), 1);
    // Fix for CC6.2 and CC6.3 (one rule maps to both): take the admin role away from Tom Reed.
    let mut fixed = drifted.clone();
    let admin = role_ref(&drifted, "admin");
    find(&mut fixed["resources"]["users"], "name", "Tom Reed")["authorization"]["roles"]
        .as_array_mut()
        .unwrap()
        .retain(|r| r["id"] != admin["id"]);
    let after = statuses(&check(&fixed, false, json!({})));
    let flipped: BTreeSet<&String> = after.iter().filter(|(k, v)| before[*k] != **v).map(|(k, _)| k).collect();
    assert_eq!(flipped, BTreeSet::from([&"CC6.2".to_string(), &"CC6.3".to_string()]));
    assert_eq!((after["CC6.2"], after["CC6.3"]), (ControlStatus::Waived, ControlStatus::Pass));
}

type Mutation = fn(&mut Value);

#[test]
fn every_rule_breaks_alone_and_flips_only_its_controls() {
    let approved = read_json(APPROVED);
    let clean = check(&approved, false, json!({}));
    assert!(failing_rules(&clean).is_empty(), "{:?}", failing_rules(&clean));
    let base = statuses(&clean);
    let cases: Vec<(&str, &[&str], Mutation)> = vec![
        ("GC-CC6.1-01", &["CC6.1"], |s| {
            s["resources"]["authentication_settings"][0]["multifactorAuthenticationRequired"] = json!(false)
        }),
        ("GC-CC6.1-02", &["CC6.1"], |s| {
            s["resources"]["authentication_settings"][0]["passwordRequirements"]["minimumLength"] = json!(8)
        }),
        ("GC-CC6.1-03", &["CC6.1"], |s| {
            s["resources"]["authentication_settings"][0]["passwordRequirements"]["minimumDigits"] = json!(0)
        }),
        ("GC-CC6.1-04", &["CC6.1"], |s| {
            s["resources"]["authentication_settings"][0]["passwordRequirements"]["expirationDays"] = json!(0)
        }),
        ("GC-CC6.1-05", &["CC6.1"], |s| {
            find(&mut s["resources"]["oauth_clients"], "name", "CRM integration")["authorizedGrantType"] =
                json!("TOKEN")
        }),
        ("GC-CC6.1-06", &["CC6.1"], |s| s["resources"]["identity_providers"][0]["disabled"] = json!(true)),
        ("GC-CC6.1-07", &["CC6.1"], |s| {
            find(&mut s["resources"]["oauth_clients"], "name", "CRM integration")["accessTokenValiditySeconds"] =
                json!(172800)
        }),
        ("GC-CC6.1-08", &["CC6.1", "CC6.3"], |s| {
            find(&mut s["resources"]["oauth_clients"], "name", "WFM sync")["roleDivisions"][0]["divisionId"] =
                json!("*")
        }),
        ("GC-CC6.2-01", &["CC6.2"], |s| {
            find(&mut s["resources"]["users"], "name", "Priya Nair")["state"] = json!("inactive")
        }),
        ("GC-CC6.3-01", &["CC6.2", "CC6.3"], |s| {
            let ua = role_ref(s, "User Admin");
            find(&mut s["resources"]["users"], "name", "Tom Reed")["authorization"]["roles"]
                .as_array_mut()
                .unwrap()
                .push(ua);
        }),
        ("GC-CC6.3-02", &["CC6.3"], |s| {
            let tel = role_ref(s, "Telephony Admin");
            find(&mut s["resources"]["users"], "name", "Jonas Berg")["authorization"]["roles"]
                .as_array_mut()
                .unwrap()
                .push(tel);
        }),
        ("GC-CC6.3-03", &["CC6.3"], |s| {
            find(&mut s["resources"]["roles"], "name", "Reporting Viewer")["permissions"]
                .as_array_mut()
                .unwrap()
                .push(json!("analytics:*:view"))
        }),
        ("GC-CC6.6-02", &["CC6.6"], |s| {
            s["resources"]["authentication_settings"][0]["ipAddressAllowlist"]
                .as_array_mut()
                .unwrap()
                .push(json!("0.0.0.0/0"))
        }),
        ("GC-CC6.6-03", &["CC6.6"], |s| {
            s["resources"]["trunk_base_settings"][0]["properties"]["trunk_access_acl_allowList"]["value"]["instance"]
                .as_array_mut()
                .unwrap()
                .push(json!("10.0.0.0/8"))
        }),
        ("GC-CC6.6-04", &["CC6.6", "CC6.7"], |s| {
            s["resources"]["trunk_base_settings"][1]["properties"]["trunk_transport_protocol"]["value"]["instance"] =
                json!("UDP")
        }),
    ];
    for (rule, controls, mutate) in cases {
        let mut s = approved.clone();
        mutate(&mut s);
        let r = check(&s, false, json!({}));
        assert_eq!(failing_rules(&r), BTreeSet::from([rule.to_string()]), "{rule}");
        let after = statuses(&r);
        let flipped: BTreeSet<&str> = after.iter().filter(|(k, v)| base[*k] != **v).map(|(k, _)| k.as_str()).collect();
        assert_eq!(flipped, controls.iter().copied().collect::<BTreeSet<_>>(), "{rule}");
        assert!(controls.iter().all(|c| after[*c] == ControlStatus::Fail), "{rule}");
    }
}

#[test]
fn warnings_do_not_fail_controls() {
    let mut s = read_json(APPROVED);
    s["resources"]["authentication_settings"][0]["ipAddressAllowlist"] = json!([]);
    let r = check(&s, false, json!({}));
    assert!(r.findings.iter().any(|f| f.id == "GC-CC6.6-01"));
    assert_eq!(statuses(&r)["CC6.6"], ControlStatus::Pass);
    assert_eq!(r.summary.warnings, 1);
}

#[test]
fn audit_lag_is_judged_from_the_run_context() {
    let approved = read_json(APPROVED);
    // The run's time is now: an hour-old checkpoint is current, a two-day-old one is stale
    // (the pack allows 26 hours).
    let ago = |hours: i64| driftgate::clock::rfc3339(time::OffsetDateTime::now_utc() - time::Duration::hours(hours));
    // CC7.2 also needs the audit archive's attribution of the drift (GC-CC7.2-03): without
    // one it is inconclusive however current the checkpoint.
    let unattributed = check(&approved, true, json!({"audit": {"checkpoint": ago(1)}}));
    assert_eq!(statuses(&unattributed)["CC7.2"], ControlStatus::Inconclusive);
    let fresh = check(&approved, true, json!({"audit": {"checkpoint": ago(1)}, "attribution": {"covered": true}}));
    assert_eq!(statuses(&fresh)["CC7.2"], ControlStatus::Pass);
    let stale = check(&approved, true, json!({"audit": {"checkpoint": ago(48)}}));
    assert_eq!(statuses(&stale)["CC7.2"], ControlStatus::Fail);
    assert!(stale.findings.iter().any(|f| f.id == "GC-CC7.2-01" && f.msg.contains("48 h behind")));
}

#[test]
fn expired_waiver_fails_again_and_unused_waiver_is_stale() {
    let d = tempfile::tempdir().unwrap();
    let pol = d.path().join("policies");
    copy_dir(&root().join("policies"), &pol);
    let mut w: Value = serde_json::from_str(&std::fs::read_to_string(pol.join("waivers.json")).unwrap()).unwrap();
    w["waivers"][0]["expires"] = json!("2026-11-01");
    w["waivers"].as_array_mut().unwrap().push(json!({
        "rule": "GC-CC6.1-01", "resource": {"type": "authentication_settings", "id": "*"}, "reason": "r", "owner": "o",
        "approved_by": "a", "ticket": "SEC-9", "expires": "2027-01-01"}));
    std::fs::write(pol.join("waivers.json"), serde_json::to_string(&w).unwrap()).unwrap();
    let snap = write_json(d.path(), "s.json", &read_json(APPROVED));
    let mut opts = CheckOptions::new(snap);
    opts.policies = pol;
    opts.baseline = BaselineChoice::Skip;
    opts.as_of = Some(datetime!(2026-11-22 09:00 UTC));
    let r = run_check(&opts).unwrap().report;
    assert_eq!(statuses(&r)["CC6.2"], ControlStatus::Fail);
    assert_eq!(r.gate.result, driftgate::report::GateResult::Fail);
    let status: Vec<_> = r.waivers.iter().map(|w| (w.waiver.ticket.as_str(), w.status)).collect();
    use driftgate::policy::WaiverStatus::*;
    assert_eq!(status, vec![("SEC-1042", Expired), ("SEC-9", Stale)]);
    let f = r.findings.iter().find(|f| f.id == "GC-CC6.2-01").unwrap();
    assert_eq!(f.waiver.as_ref().unwrap().status, Expired);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &to.join(e.file_name()));
        } else {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

/// `driftgate run` of the approved example at `at` (UTC, under faketime) into `store`; the
/// package's report.
fn run_at(at: &str, store: &std::path::Path) -> Value {
    run_snapshot_at(at, std::path::Path::new(APPROVED), store)
}

fn run_snapshot_at(at: &str, snapshot: &std::path::Path, store: &std::path::Path) -> Value {
    let out = std::process::Command::new("faketime")
        .arg(at)
        .arg(env!("CARGO_BIN_EXE_driftgate"))
        .args(["run", "--signing-key", "examples/keys/demo.key", "--snapshot"])
        .arg(snapshot)
        .arg("--store")
        .arg(store)
        .current_dir(root())
        .env("TZ", "UTC")
        .output()
        .expect("faketime (installed by .ci/test)");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{at}: {}", String::from_utf8_lossy(&out.stderr));
    let day = &at[..10].replace('-', "/");
    let report = walk(store)
        .into_iter()
        .filter(|p| p.to_string_lossy().contains(day.as_str()) && p.ends_with("report.json"))
        .max()
        .expect("the run's package");
    serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap()
}

#[test]
fn monitoring_on_schedule_is_judged_from_the_evidence_chain() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let ids = |r: &Value, id: &str| r["findings"].as_array().unwrap().iter().filter(|f| f["id"] == id).count();
    // The first run of a tenant has no previous run to be late after.
    let first = run_at("2026-11-20 08:00:00", &store);
    assert_eq!(ids(&first, "GC-CC7.1-01"), 0);
    assert_eq!(control_status(&first, "CC7.1"), "PASS", "{}", first["controls"]);
    // A day later: on schedule.
    let next = run_at("2026-11-21 08:00:00", &store);
    assert_eq!(ids(&next, "GC-CC7.1-01"), 0);
    // Three days after that: the gap is a violation naming the previous run.
    let late = run_at("2026-11-24 09:00:00", &store);
    let gap: Vec<&Value> = late["findings"].as_array().unwrap().iter().filter(|f| f["id"] == "GC-CC7.1-01").collect();
    assert_eq!(gap.len(), 1, "{}", late["findings"]);
    assert!(gap[0]["msg"].as_str().unwrap().contains("was 73 h before this one"), "{}", gap[0]["msg"]);
    assert_eq!(control_status(&late, "CC7.1"), "FAIL");
    // A bare check has no chain: the schedule is not judged, and says why.
    let (_, bare) = check_json(&[APPROVED]);
    assert_eq!(control_status(&bare, "CC7.1"), "INCONCLUSIVE");
}

#[test]
fn an_item_quarantined_run_after_run_becomes_a_finding() {
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("store");
    let mut snap = read_json(APPROVED);
    snap["resources"]["users"][0]["state"] = json!(42); // fails the users schema
    let bad_id = snap["resources"]["users"][0]["id"].as_str().unwrap().to_string();
    let path = write_json(d.path(), "quarantine.json", &snap);
    let long = |r: &Value| -> Vec<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["id"] == "GC-CC7.1-04")
            .map(|f| f["resource"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    // Quarantined on the first and second day: not yet too long.
    assert!(long(&run_snapshot_at("2026-11-20 08:00:00", &path, &store)).is_empty());
    let second = run_snapshot_at("2026-11-21 08:00:00", &path, &store);
    assert_eq!(second["quarantine"][0]["resource_id"], bad_id.as_str());
    assert!(long(&second).is_empty());
    // Still quarantined four days after it first was: the item is a standing blind spot.
    let fourth = run_snapshot_at("2026-11-24 08:00:00", &path, &store);
    assert_eq!(long(&fourth), vec![bad_id.clone()], "{}", fourth["findings"]);
    // Fixed: the streak ends and so does the finding.
    let fixed = run_snapshot_at("2026-11-25 08:00:00", std::path::Path::new(APPROVED), &store);
    assert!(long(&fixed).is_empty());
}
