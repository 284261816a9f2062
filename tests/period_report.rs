//! `driftgate evidence report` over a store built day by day under `faketime`: passing days,
//! failing days, two runs on one day, a waiver that expires mid-period, a missing day, a
//! remediation, a change resolved by a baseline update (with its commit), an audit stream with
//! a gap, and a tampered package. Every section of the JSON is checked against what the
//! packages themselves say; the OSCAL documents validate with compliance-trestle; the HTML
//! renders in headless Chromium.

mod support;

use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::{copy_tree, root, walk, writable};

const DRIFTED: &str = "examples/genesys/acme-corp.drifted.json";
const APPROVED: &str = "examples/genesys/acme-corp.approved.json";

/// `driftgate run` of `snapshot` at `at` (UTC), under faketime.
fn run_at(at: &str, snapshot: &str, store: &Path, policies: &Path, baseline: Option<&Path>) {
    let mut c = std::process::Command::new("faketime");
    c.arg(at)
        .arg(env!("CARGO_BIN_EXE_driftgate"))
        .args(["run", "--snapshot", snapshot, "--signing-key", "examples/keys/demo.key", "--store"])
        .arg(store)
        .arg("--policies")
        .arg(policies)
        .current_dir(root())
        .env("TZ", "UTC");
    if let Some(b) = baseline {
        c.arg("--baseline").arg(b);
    }
    let out = c.output().expect("faketime (installed by .ci/test)");
    assert!(matches!(out.status.code(), Some(0 | 1)), "{at}: {}", String::from_utf8_lossy(&out.stderr));
}

struct Period {
    _dir: tempfile::TempDir,
    store: PathBuf,
    commit: String,
}

/// The store of the period 2026-11-01 .. 2026-11-10.
fn period() -> Period {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("evidence");
    // The bundle, with the Ben Cole waiver (GC-CC6.2-01, SEC-1042) expiring on 2026-11-02.
    let policies = dir.path().join("policies");
    copy_tree(&root().join("policies"), &policies);
    let mut w: Value = serde_json::from_str(&std::fs::read_to_string(policies.join("waivers.json")).unwrap()).unwrap();
    for x in w["waivers"].as_array_mut().unwrap() {
        if x["ticket"] == "SEC-1042" {
            x["expires"] = json!("2026-11-02");
        }
    }
    std::fs::write(policies.join("waivers.json"), serde_json::to_string_pretty(&w).unwrap()).unwrap();
    // An updated baseline that approves the drifted configuration, committed in git.
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    let git = |args: &[&str]| {
        let o = std::process::Command::new("git").arg("-C").arg(&repo).args(args).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    git(&["init", "-q"]);
    let updated = repo.join("acme-corp.json");
    let o = support::driftgate().args(["baseline", "update", DRIFTED, "--baseline"]).arg(&updated).output().unwrap();
    assert!(o.status.success());
    git(&["add", "."]);
    git(&["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "approve"]);
    let commit = git(&["rev-parse", "HEAD"]);

    let days: &[(&str, &str, bool)] = &[
        ("2026-11-01 08:00:00", APPROVED, false),
        ("2026-11-01 20:00:00", DRIFTED, false),
        ("2026-11-02 08:00:00", APPROVED, false),
        ("2026-11-03 08:00:00", APPROVED, false),
        ("2026-11-04 08:00:00", DRIFTED, false),
        ("2026-11-05 08:00:00", DRIFTED, false),
        // 2026-11-06: no run.
        ("2026-11-07 08:00:00", APPROVED, false),
        ("2026-11-08 08:00:00", DRIFTED, false),
        ("2026-11-09 08:00:00", DRIFTED, true),
    ];
    for (at, snapshot, new_baseline) in days {
        run_at(at, snapshot, &store, &policies, new_baseline.then_some(updated.as_path()));
    }
    // The audit stream covers 2026-11-01 .. 2026-11-05 only.
    use driftgate::audit::mask::{MaskKey, MaskStats, Masker};
    let masker = Masker::new(MaskKey::new(b"period-test-mask-key-0123".to_vec(), "test").unwrap(), &[], &[]).unwrap();
    let key = driftgate::evidence::Signer25519::from_file(&root().join("examples/keys/demo.key")).unwrap();
    let t = |s: &str| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
    for d in 1..=4 {
        let (a, b) = (t(&format!("2026-11-{d:02}T00:00:00Z")), t(&format!("2026-11-{:02}T00:00:00Z", d + 1)));
        driftgate::audit::store_batch(
            &driftgate::evidence::store::LocalStore::new(&store),
            &key,
            &driftgate::audit::Batch {
                tenant: "acme-corp",
                platform: driftgate::platform::Platform::GenesysCloud,
                interval: (a, b),
                run_id: format!("audit-{d}"),
                events: &[],
                counts: Default::default(),
                masker: &masker,
                stats: &MaskStats::default(),
                queries: &[],
                checkpoint_before: None,
                source: json!({}),
                retention_days: 3650,
            },
            b + time::Duration::minutes(5),
        )
        .unwrap();
    }
    Period { _dir: dir, store, commit }
}

fn report(store: &Path, extra: &[&str]) -> (i32, String, String) {
    let o = support::driftgate()
        .args(["evidence", "report"])
        .arg(store)
        .args(["--tenant", "acme-corp", "--from", "2026-11-01", "--to", "2026-11-10"])
        .args(extra)
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// What each day's packages say: date → [(run time, report.json)].
fn packages(store: &Path) -> BTreeMap<String, Vec<Value>> {
    let mut out: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for p in walk(&store.join("acme-corp")).into_iter().filter(|p| p.ends_with("report.json")) {
        let r: Value = serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).unwrap();
        out.entry(r["run"]["started_at"].as_str().unwrap()[..10].to_string()).or_default().push(r);
    }
    out
}

fn status_rank(s: &str) -> u8 {
    match s {
        "FAIL" => 4,
        "INCONCLUSIVE" => 3,
        "NOT_TESTED" => 2,
        "WAIVED" => 1,
        _ => 0,
    }
}

fn control<'a>(r: &'a Value, id: &str) -> &'a Value {
    r["controls"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap()
}

#[test]
fn the_period_report_says_what_the_packages_say_and_validates_as_oscal() {
    let p = period();
    let (code, out, err) = report(&p.store, &["--format", "json", "--public-key", "examples/keys/demo.pub"]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["format"], "driftgate.period-report/v1");
    assert_eq!(
        (r["tenant"].as_str(), r["from"].as_str(), r["to"].as_str()),
        (Some("acme-corp"), Some("2026-11-01"), Some("2026-11-10"))
    );
    let i = &r["integrity"];
    assert_eq!(
        (i["ok"].as_bool(), i["key_pinned"].as_bool(), i["packages_verified"].as_u64()),
        (Some(true), Some(true), Some(9))
    );

    // Per day: the worst status of the day's packages, criterion by criterion.
    let truth = packages(&p.store);
    let days = r["days"].as_array().unwrap();
    assert_eq!(days.len(), 10);
    for d in days {
        let date = d["date"].as_str().unwrap();
        let runs = truth.get(date).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(d["runs"].as_u64().unwrap() as usize, runs.len(), "{date}");
        let mut want: BTreeMap<String, String> = BTreeMap::new();
        for run in runs {
            for c in run["controls"].as_array().unwrap() {
                let s = c["status"].as_str().unwrap().to_string();
                let e = want.entry(c["id"].as_str().unwrap().to_string()).or_insert(s.clone());
                if status_rank(&s) > status_rank(e) {
                    *e = s;
                }
            }
        }
        let got: BTreeMap<String, String> = d["controls"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
            .collect();
        assert_eq!(got, want, "{date}");
        assert_eq!(d["packages"].as_array().unwrap().len(), runs.len());
    }
    assert_eq!(days[0]["runs"], 2);
    assert_eq!(days[0]["controls"]["CC8.1"], "FAIL", "the worse of the day's two runs");
    assert_eq!(days[5]["runs"], 0);
    assert_eq!(days[5]["controls"], json!({}));

    // Per criterion: tested first, NOT_TESTED after; counts and exceptions.
    let controls = r["controls"].as_array().unwrap();
    let first_untested = controls.iter().position(|c| c["tested"] == false).unwrap();
    assert!(controls[first_untested..].iter().all(|c| c["tested"] == false));
    let cc81 = control(&r, "CC8.1");
    assert_eq!((cc81["days_tested"].as_u64(), cc81["days_no_run"].as_u64()), (Some(8), Some(2)));
    assert_eq!(cc81["days_fail"], 4);
    let episodes: Vec<(String, String, Option<String>)> = cc81["exceptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["start"].as_str().unwrap().into(),
                e["end"].as_str().unwrap().into(),
                e["remediated_on"].as_str().map(str::to_string),
            )
        })
        .collect();
    assert_eq!(
        episodes,
        vec![
            ("2026-11-01".into(), "2026-11-01".into(), Some("2026-11-02".into())),
            ("2026-11-04".into(), "2026-11-06".into(), Some("2026-11-07".into())),
            ("2026-11-08".into(), "2026-11-08".into(), Some("2026-11-09".into())),
            ("2026-11-10".into(), "2026-11-10".into(), None),
        ]
    );
    let middle = &cc81["exceptions"][1];
    assert_eq!(middle["statuses"], json!({"FAIL": 2, "no_run": 1}));
    assert_eq!(middle["rules"], json!(["GC-CC8.1-01"]));
    assert!(middle["resources"].as_array().unwrap().contains(&json!("roles/42f2dc05-873f-4bd0-a608-0f174c96d8e2")));
    let population = &cc81["population"];
    assert!(
        population["min"].as_u64() <= population["median"].as_u64()
            && population["median"].as_u64() <= population["max"].as_u64()
    );

    // The waiver expired on 2026-11-02: relied on for two days, then an exception.
    let cc62 = control(&r, "CC6.2");
    let waiver = cc62["waivers"].as_array().unwrap().iter().find(|w| w["ticket"] == "SEC-1042").unwrap();
    assert_eq!(
        (waiver["days_active"].as_u64(), waiver["owner"].as_str()),
        (Some(2), Some("cc-operations@acme.example"))
    );
    assert_eq!(waiver["approved_by"], "ciso@acme.example");
    assert_eq!(waiver["expires"], "2026-11-02");
    assert!(waiver["days_expired"].as_u64().unwrap() >= 5, "{waiver}");
    assert_eq!(days[2]["controls"]["CC6.2"], "FAIL", "the day after the waiver expired");
    assert_eq!(days[1]["controls"]["CC6.2"], "WAIVED");

    // Changes: each once, from first to last seen; resolved by the baseline update, with its commit.
    let changes = r["changes"].as_array().unwrap();
    let drift_records = truth["2026-11-04"][0]["drift"].as_array().unwrap().len();
    assert_eq!(changes.len(), drift_records);
    for c in changes {
        assert_eq!(
            (c["first_seen"].as_str(), c["last_seen"].as_str()),
            (Some("2026-11-01"), Some("2026-11-08")),
            "{c}"
        );
        assert_eq!(c["days_seen"], 4);
        assert_eq!(c["status"], "resolved_by_baseline_update");
        assert_eq!(c["resolved_on"], "2026-11-09");
        assert_eq!(c["baseline_commit"], p.commit.as_str());
    }

    // Audit coverage: 2026-11-01 .. 2026-11-05 collected, the rest a gap.
    let a = &r["audit_coverage"];
    assert_eq!(a["batches"], 4);
    assert_eq!(a["covered"], json!([["2026-11-01T00:00:00Z", "2026-11-05T00:00:00Z"]]));
    assert_eq!(a["gaps"], json!([["2026-11-05T00:00:00Z", "2026-11-11T00:00:00Z"]]));

    // Every format, written all or nothing; the OSCAL documents validate with compliance-trestle.
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("report");
    let (code, _, err) = report(
        &p.store,
        &[
            "--out",
            dir.to_str().unwrap(),
            "--format",
            "json",
            "--format",
            "html",
            "--format",
            "csv",
            "--format",
            "markdown",
            "--format",
            "oscal",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let mut names: Vec<String> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "assessment-plan.json",
            "assessment-results.json",
            "period-report.csv",
            "period-report.html",
            "period-report.json",
            "period-report.md"
        ]
    );
    let check = r#"
import json, sys
sys.path.insert(0, sys.argv[1])
from trestle.oscal.assessment_results import AssessmentResults
from trestle.oscal.assessment_plan import AssessmentPlan
ar = AssessmentResults.oscal_read(__import__("pathlib").Path(sys.argv[2]))
ap = AssessmentPlan.oscal_read(__import__("pathlib").Path(sys.argv[3]))
res = ar.results[0]
text = lambda x: str(getattr(x, "value", getattr(x, "__root__", x)))
states = {text(f.target.target_id): text(f.target.status.state) for f in res.findings}
print(json.dumps({"findings": states, "observations": len(res.observations), "types": sorted({text(f.target.type) for f in res.findings}), "plan": text(ap.uuid)}))
"#;
    let py = std::process::Command::new("python3")
        .args(["-c", check])
        .arg(root().join("target/test-deps/trestle"))
        .arg(dir.join("assessment-results.json"))
        .arg(dir.join("assessment-plan.json"))
        .output()
        .unwrap();
    assert!(
        py.status.success(),
        "compliance-trestle (installed by .ci/test) refused the OSCAL: {}",
        String::from_utf8_lossy(&py.stderr)
    );
    let v: Value = serde_json::from_slice(&py.stdout).unwrap();
    assert_eq!(v["types"], json!(["objective-id"]));
    assert_eq!(v["observations"], 9, "one per package");
    assert_eq!(v["findings"]["CC8.1"], "not-satisfied");
    assert_eq!(
        v["findings"]["CC6.7"], "not-satisfied",
        "a day without a run is an exception for every tested criterion"
    );
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("assessment-results.json")).unwrap()).unwrap();
    let obs = &results["assessment-results"]["results"][0]["observations"][0];
    let first = &days[0]["packages"][0];
    assert!(obs["relevant-evidence"][0]["description"]
        .as_str()
        .unwrap()
        .contains(first["manifest_sha256"].as_str().unwrap()));
    assert_eq!(obs["collected"], first["created_at"]);

    // CSV: a row per criterion × day and one per exception; nothing a spreadsheet evaluates.
    let csv = std::fs::read_to_string(dir.join("period-report.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    let exceptions: usize = controls.iter().map(|c| c["exceptions"].as_array().unwrap().len()).sum();
    assert_eq!(rows.len(), 1 + controls.len() * 10 + exceptions);
    assert!(rows.iter().any(|l| l.starts_with("day,CC8.1,") && l.contains(",2026-11-06,no run,0,")));
    assert!(rows.iter().any(|l| l.starts_with("exception,CC8.1,") && l.contains(",2026-11-04,2026-11-06,3,")));

    // HTML in headless Chromium: a strip per tested criterion, NOT_TESTED folded into one line.
    let html = dir.join("period-report.html");
    let dom = headless(&["--dump-dom"], &format!("file://{}", html.display()));
    let dom = String::from_utf8_lossy(&dom.stdout);
    let tested = controls.iter().filter(|c| c["tested"] == true).count();
    assert_eq!(dom.matches("<svg class=\"strip\"").count(), tested);
    assert_eq!(dom.matches("class=\"untested\"").count(), 1);
    assert!(dom.find("id=\"integrity\"").unwrap() < dom.find("id=\"controls\"").unwrap());
    let pdf = out.path().join("p.pdf");
    headless(
        &["--no-pdf-header-footer", &format!("--print-to-pdf={}", pdf.display())],
        &format!("file://{}", html.display()),
    );
    assert!(std::fs::read(&pdf).unwrap().starts_with(b"%PDF"));
}

fn headless(args: &[&str], url: &str) -> std::process::Output {
    let chromium = std::env::var("DRIFTGATE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(Path::new(&chromium).exists(), "headless Chromium not found at {chromium} (.ci/test installs it)");
    let profile = tempfile::tempdir().unwrap();
    std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
        ])
        .args(["--disable-component-update", "--disable-sync"])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .output()
        .unwrap()
}

#[test]
fn a_tampered_package_is_the_first_thing_every_format_says_and_exits_1() {
    let p = period();
    let d = tempfile::tempdir().unwrap();
    let store = d.path().join("evidence");
    copy_tree(&p.store, &store);
    let victim = walk(&store.join("acme-corp/2026/11/02")).into_iter().find(|f| f.ends_with("report.json")).unwrap();
    writable(&victim);
    let text = std::fs::read_to_string(&victim).unwrap().replacen("\"WAIVED\"", "\"PASS\"", 1);
    assert!(text.contains("PASS"));
    std::fs::write(&victim, text).unwrap();

    let (code, out, err) = report(&store, &["--format", "json"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("INTEGRITY FAILURE"), "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["integrity"]["ok"], false);
    assert!(r["integrity"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .any(|x| x["code"] == "file_size" || x["code"] == "file_hash"));
    let excluded = r["integrity"]["excluded"].as_array().unwrap();
    assert_eq!(excluded.len(), 1, "{excluded:?}");
    assert_eq!(r["days"][1]["runs"], 0, "the altered package is not used");
    for (format, first) in [("markdown", "INTEGRITY FAILURE"), ("html", "INTEGRITY FAILURE"), ("csv", "")] {
        let (code, out, _) = report(&store, &["--format", format]);
        assert_eq!(code, 1, "{format}");
        if !first.is_empty() {
            let at = out.find(first).unwrap_or_else(|| panic!("{format}: {out}"));
            let controls = out.find("CC8.1").unwrap();
            assert!(at < controls, "{format}: integrity comes first");
        }
    }
    let (code, out, _) = report(&store, &["--format", "oscal"]);
    assert_eq!(code, 1);
    assert!(out.contains("Evidence integrity failure"));
}

#[test]
fn a_period_without_evidence_or_with_bad_days_is_refused() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join("empty")).unwrap();
    let (code, _, err) = report(&d.path().join("empty"), &[]);
    assert_eq!(code, 2);
    assert!(err.contains("holds no evidence of tenant acme-corp"), "{err}");
    let o = support::driftgate()
        .args(["evidence", "report", "examples", "--tenant", "acme-corp", "--from", "2026-11-10", "--to", "2026-11-01"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = support::driftgate()
        .args(["evidence", "report", "examples", "--tenant", "../x", "--from", "2026-11-01", "--to", "2026-11-02"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
