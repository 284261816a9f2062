//! Every finding, drift record and report byte, pinned: the SHA-256 of each rendered format
//! (and the counts behind it) for the examples of both platforms, generated tenants of both
//! platforms with volatile noise and real changes, a quarantine case and a waiver case.
//!
//! Speed work changes how `check` computes, never what it says: a change here is a
//! behaviour change, to be made on purpose (`INSTA_UPDATE=always cargo test --test
//! output_identity`) and named in the change's note.

mod support;

use driftgate::baseline::{BaselineSource, Comparison};
use driftgate::check::{run_check, BaselineChoice, CheckOptions};
use driftgate::report::{formats, renderer};
use serde_json::{json, Value};
use std::fmt::Write as _;
use std::path::Path;
use support::*;
use time::macros::datetime;

/// The same masks as the rendered-report snapshots: what depends on the clock, the version
/// and the checkout, not on the check.
fn mask(text: &str, dir: &Path) -> String {
    let masks = [
        (r"run-\d{8}T\d{6}Z-[0-9a-f]{8}", "[run-id]"),
        (r#""(started_at|finished_at|time|startTimeUtc|endTimeUtc)": "[^"]+""#, r#""$1": "[time]""#),
        (
            r"20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z \.\. 20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z",
            "[started] .. [finished]",
        ),
        (r#"(started|finished)="[^"]+""#, r#"$1="[time]""#),
        (r"driftgate \d+\.\d+\.\d+", "driftgate [version]"),
        (r#""version": "\d+\.\d+\.\d+""#, r#""version": "[version]""#),
        (r"\| \d+\.\d+\.\d+ \|", "| [version] |"),
    ];
    let mut out = text.replace(&dir.display().to_string(), "[dir]");
    for (re, with) in masks {
        out = regex::Regex::new(re).unwrap().replace_all(&out, with).into_owned();
    }
    out
}

/// One check: every format rendered and masked, the report's counts, and how the baseline
/// was compared.
fn check(snap: &Path, base: &Path, dir: &Path) -> (String, Vec<String>, Option<Comparison>, String) {
    let mut opts = CheckOptions::new(snap);
    opts.policies = root().join("policies");
    opts.baseline = BaselineChoice::Given(BaselineSource::Path(base.to_path_buf()));
    opts.as_of = Some(datetime!(2026-11-23 09:00 UTC));
    let run = run_check(&opts).unwrap();
    let mut report = run.report;
    report.baseline.as_mut().unwrap().git = None;
    // A resource only the baseline has is located in the baseline file as given: its line
    // depends on how that file is spelled, which is the one thing the two runs differ in.
    for f in &mut report.findings {
        if let Some(s) = f.source.as_mut().filter(|s| s.file.ends_with(".json") && s.file.contains("baseline")) {
            s.line = 0;
        }
    }
    let file_sha = report.baseline.as_ref().unwrap().sha256.clone();
    // The bundle's hashes echo the policy files' bytes, not what the check found: an edit to
    // the pack that finds the same is no change here.
    report.policy_bundle.sha256 = "[bundle sha256]".into();
    for f in &mut report.policy_bundle.files {
        f.sha256 = "[file sha256]".into();
    }
    let json: Value = serde_json::from_str(&renderer("json").unwrap().render(&report)).unwrap();
    let counts = format!(
        "{} finding(s), {} drift record(s), {} quarantined, {} waived, gate {}",
        json["findings"].as_array().map_or(0, Vec::len),
        json["drift"].as_array().map_or(0, Vec::len),
        json["quarantine"].as_array().map_or(0, Vec::len),
        json["findings"].as_array().map_or(0, |f| f.iter().filter(|f| !f["waiver"].is_null()).count()),
        json["gate"]["result"].as_str().unwrap_or("?"),
    );
    let texts = formats().into_iter().map(|f| mask(&renderer(f).unwrap().render(&report), dir)).collect();
    (counts, texts, run.baseline_comparison, file_sha)
}

/// One case, checked against its baseline twice: as the test wrote it, and as `baseline
/// update` writes it (normalized, canonical, in identity order), which `check` compares item
/// by item without parsing what is unchanged. Both give the same bytes in every format.
fn case(name: &str, snapshot: &Value, baseline: &Value, out: &mut String) {
    let d = tempfile::tempdir().unwrap();
    let snap = write_json(d.path(), "snapshot.json", snapshot);
    let base = write_json(d.path(), "baseline.json", baseline);
    let catalog = driftgate::catalog::Catalog::built_in().unwrap();
    let parsed = driftgate::snapshot::Snapshot::from_file(&base).unwrap();
    let rules = catalog.platform(&parsed.metadata.platform).unwrap();
    let canonical = d.path().join("baseline.canonical.json");
    std::fs::write(&canonical, driftgate::baseline::render(&driftgate::normalize::normalize(parsed, rules))).unwrap();

    let (counts, texts, how, sha) = check(&snap, &base, d.path());
    let (counts2, texts2, how2, sha2) = check(&snap, &canonical, d.path());
    assert_eq!(counts, counts2, "{name}");
    for ((format, a), b) in formats().into_iter().zip(&texts).zip(&texts2) {
        // The two files' own names and hashes differ; nothing else may.
        let a = a.replace(&sha, "[baseline file sha256]").replace(&sha[..12], "[baseline file sha256]");
        let b = b
            .replace(&sha2, "[baseline file sha256]")
            .replace(&sha2[..12], "[baseline file sha256]")
            .replace("baseline.canonical.json", "baseline.json");
        if a != b {
            let diff =
                similar::TextDiff::from_lines(a.as_str(), b.as_str()).unified_diff().context_radius(2).to_string();
            panic!("{name}: the {format} report differs between the two spellings of one baseline:\n{diff}");
        }
    }
    assert!(
        matches!(how2, Some(Comparison::ByBytes { .. })),
        "{name}: a baseline as `baseline update` writes it is compared byte for byte, not {how2:?}"
    );
    writeln!(out, "{name}: {counts}").unwrap();
    writeln!(out, "  baseline as written: {how:?}; as baseline update writes it: {how2:?}").unwrap();
    for (format, text) in formats().into_iter().zip(&texts) {
        writeln!(out, "  {format:<9} {}", driftgate::canonical::sha256_hex(text.as_bytes())).unwrap();
    }
}

/// A CXone tenant collected again: volatile fields moved, the lists reordered, and real
/// changes (an agent deactivated, a role granted more, a new access key).
fn cxone_recollect(doc: &Value) -> Value {
    let mut d = doc.clone();
    d["metadata"]["collected_at"] = json!("2026-11-23T06:00:00Z");
    let res = d["resources"].as_object_mut().unwrap();
    for items in res.values_mut() {
        items.as_array_mut().unwrap().reverse();
    }
    let agents = res.get_mut("agents").unwrap().as_array_mut().unwrap();
    agents[3]["isActive"] = json!(false);
    agents[10]["lastLoginDate"] = json!("2026-11-23T05:00:00Z");
    if let Some(p) = res.get_mut("roles").unwrap()[0]["permissions"].as_array_mut() {
        p.push(json!("Admin-SecurityProfiles-Edit"));
    }
    d
}

#[test]
fn every_report_byte_is_what_it_was() {
    let mut out = String::new();
    let approved = read_json(APPROVED);
    case("genesys example", &read_json(DRIFTED), &approved, &mut out);
    let cx_approved = read_json("examples/nice-cxone/globex-support.approved.json");
    case("cxone example", &read_json("examples/nice-cxone/globex-support.drifted.json"), &cx_approved, &mut out);

    let g = tenant::genesys(1500, 20261122);
    case("genesys 1500 users, re-collected", &tenant::recollect(&g), &g, &mut out);
    let c = tenant::cxone(1200, 7);
    case("cxone 1200 agents, re-collected", &cxone_recollect(&c), &c, &mut out);

    // Findings-heavy: every user granted one more role, a change and a finding each.
    let mut heavy = tenant::recollect(&g);
    for u in heavy["resources"]["users"].as_array_mut().unwrap() {
        if let Some(roles) = u["authorization"]["roles"].as_array_mut() {
            roles.push(json!({"id": "42f2dc05-873f-4bd0-a608-0f174c96d8e2", "name": "Queue Supervisor"}));
        }
    }
    case("genesys 1500 users, every user changed", &heavy, &g, &mut out);

    // Quarantine: two items the schema refuses, one of them also changed.
    let mut q = tenant::recollect(&g);
    q["resources"]["users"][5]["state"] = json!("on-vacation");
    q["resources"]["queues"][0]["name"] = json!(42);
    case("genesys quarantine", &q, &g, &mut out);

    // Waiver: the example's waived finding, with the waiver file the pack ships.
    let mut w = read_json(DRIFTED);
    w["resources"]["users"].as_array_mut().unwrap().reverse();
    case("genesys waiver, reordered", &w, &approved, &mut out);

    insta::assert_snapshot!(out);
}
