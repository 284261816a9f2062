//! The rendered formats checked as their consumers read them: SARIF against the official
//! 2.1.0 schema, the HTML report in headless Chromium, JUnit and CSV through parsers.

mod support;

use driftgate::baseline::BaselineSource;
use driftgate::check::{run_check, BaselineChoice, CheckOptions};
use driftgate::report::{renderer, Report};
use serde_json::Value;
use std::path::PathBuf;
use support::*;

fn report(snapshot: &str) -> Report {
    let mut opts = CheckOptions::new(root().join(snapshot));
    opts.policies = root().join("policies");
    opts.baseline = BaselineChoice::Given(BaselineSource::Path(root().join("baselines/acme-corp.json")));
    run_check(&opts).unwrap().report
}

fn render(r: &Report, format: &str) -> String {
    renderer(format).unwrap().render(r)
}

/// The official SARIF 2.1.0 schema, installed by .ci/test from the npm registry.
fn sarif_schema() -> Value {
    let path = std::env::var_os("DRIFTGATE_SARIF_SCHEMA")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/test-deps/sarif-2.1.0.json"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "SARIF 2.1.0 schema not found at {} ({e}): run the suite with .ci/test, which installs it",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap()
}

fn fix_language_patterns(v: &mut Value) -> usize {
    const BROKEN: &str = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$";
    match v {
        Value::Object(m) => {
            let mut n = 0;
            if m.get("pattern").and_then(Value::as_str) == Some(BROKEN) {
                m.insert("pattern".into(), Value::from("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$"));
                n += 1;
            }
            n + m.values_mut().map(fix_language_patterns).sum::<usize>()
        }
        Value::Array(a) => a.iter_mut().map(fix_language_patterns).sum(),
        _ => 0,
    }
}

#[test]
fn sarif_is_valid_against_the_official_schema() {
    let mut schema = sarif_schema();
    assert!(
        schema["$id"].as_str().unwrap_or_default().contains("2.1.0")
            || schema["title"].as_str().unwrap_or_default().contains("2.1.0")
    );
    // The published schema's `language` patterns have a stray ']' that a strict regex engine
    // rejects when it checks the schema itself; replace them with the pattern they mean.
    assert!(fix_language_patterns(&mut schema) >= 1, "the schema changed: revisit this workaround");
    let validator = jsonschema::validator_for(&schema).unwrap();
    for snapshot in [DRIFTED, APPROVED] {
        let sarif: Value = serde_json::from_str(&render(&report(snapshot), "sarif")).unwrap();
        let errors: Vec<String> =
            validator.iter_errors(&sarif).map(|e| format!("{} at {}", e, e.instance_path())).collect();
        assert!(errors.is_empty(), "{snapshot}: {errors:#?}");
    }
}

#[test]
fn sarif_has_a_rule_per_policy_rule_lines_and_stable_fingerprints() {
    let a: Value = serde_json::from_str(&render(&report(DRIFTED), "sarif")).unwrap();
    let b: Value = serde_json::from_str(&render(&report(DRIFTED), "sarif")).unwrap();
    let run = &a["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert_eq!(rules.len(), report(DRIFTED).rules.len());
    assert!(rules.iter().any(|r| r["id"] == "GC-CC6.1-01"));
    let prints = |v: &Value| -> Vec<String> {
        v["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"]["driftgateFinding/v1"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(prints(&a), prints(&b));
    let lines_of = |uri: &str| -> Vec<String> {
        std::fs::read_to_string(root().join(uri)).unwrap().lines().map(str::to_string).collect()
    };
    let mut located = 0;
    for result in run["results"].as_array().unwrap() {
        let rule = &rules[result["ruleIndex"].as_u64().unwrap() as usize];
        assert_eq!(rule["id"], result["ruleId"]);
        let fqn = result["locations"][0]["logicalLocations"][0]["fullyQualifiedName"].as_str().unwrap();
        // The file as given on the command line, relative to the repository root (the
        // baseline for the removal of an item the snapshot no longer has), at the line of the
        // resource or the field.
        let uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap();
        let removal = result["message"]["text"].as_str().unwrap().contains(": removed") && fqn.split('/').count() == 2;
        assert_eq!(uri, if removal { "baselines/acme-corp.json" } else { DRIFTED }, "{fqn}");
        let lines = lines_of(uri);
        let line = result["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().expect("a line");
        located += 1;
        // The line holds the addressed field (`"key": ...`), or opens the map member whose
        // key it is, or, for a whole resource, opens the resource.
        let last = fqn.rsplit('/').next().unwrap();
        let (here, next) = (&lines[line as usize - 1], lines.get(line as usize).cloned().unwrap_or_default());
        let quoted = format!("\"{last}\"");
        let position = last.parse::<usize>().is_ok();
        assert!(
            here.contains(&format!("{quoted}:"))
                || (position && !here.contains("\": "))
                || (here.trim() == "{" && (next.contains(&quoted) || fqn.split('/').count() == 2)),
            "{fqn}: {uri} line {line} is {here:?}"
        );
    }
    let uris: Vec<&str> =
        run["artifacts"].as_array().unwrap().iter().map(|a| a["location"]["uri"].as_str().unwrap()).collect();
    assert_eq!(uris, vec!["baselines/acme-corp.json", DRIFTED]);
    assert_eq!(located, run["results"].as_array().unwrap().len());
    let waived: Vec<&Value> =
        run["results"].as_array().unwrap().iter().filter(|r| r.get("suppressions").is_some()).collect();
    assert_eq!(waived.len(), 1);
    assert_eq!(waived[0]["suppressions"][0]["status"], "accepted");
}

fn python(script: &str, input: &str) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[test]
fn junit_is_well_formed_with_a_suite_per_tested_control() {
    let r = report(DRIFTED);
    let xml = render(&r, "junit");
    let counts = python(
        "import sys, xml.etree.ElementTree as ET\nroot = ET.fromstring(sys.stdin.read())\nsuites = root.findall('testsuite')\nprint(len(suites), sum(len(s.findall('testcase/failure')) for s in suites), root.get('failures'))",
        &xml,
    );
    let tested = r.controls.iter().filter(|c| c.status != driftgate::report::ControlStatus::NotTested).count();
    let failures: usize = r
        .controls
        .iter()
        .map(|c| {
            r.findings
                .iter()
                .filter(|f| {
                    f.controls.contains(&c.id) && f.level == driftgate::policy::Level::Violation && f.waiver.is_none()
                })
                .count()
        })
        .sum();
    assert_eq!(counts, format!("{tested} {failures} {failures}"));
}

#[test]
fn csv_has_a_row_per_control_and_finding() {
    let r = report(DRIFTED);
    let rows = python("import sys, csv\nrows = list(csv.DictReader(sys.stdin))\nprint(len(rows), len({r['control_id'] for r in rows}))", &render(&r, "csv"));
    let expected: usize =
        r.controls.iter().map(|c| r.findings.iter().filter(|f| f.controls.contains(&c.id)).count().max(1)).sum();
    assert_eq!(rows, format!("{expected} {}", r.controls.len()));
}

#[test]
fn github_annotations_point_at_lines() {
    let text = render(&report(DRIFTED), "github");
    // At the snapshot file as given (relative to the repository root), as GitHub needs.
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("::error file=")).collect();
    assert!(
        errors.iter().all(|l| l.starts_with(&format!("::error file={DRIFTED},line="))
            || l.starts_with("::error file=baselines/acme-corp.json,line=")),
        "{errors:#?}"
    );
    let violations = report(DRIFTED).summary.violations;
    // GitHub shows ten per level: the most severe ten, then a line saying how many more.
    assert!(violations > 10, "the example has more violations than GitHub shows");
    assert_eq!(errors.len(), 10);
    let more = format!("driftgate: {} more error annotation(s) not shown", violations - 10);
    assert!(text.lines().any(|l| l.starts_with(&more)), "{text}");
    assert!(errors.iter().all(|l| l.contains(",line=")));
    assert!(errors.iter().all(|l| l.contains("[critical]") || l.contains("[high]")), "the most severe first");
    assert!(text.lines().any(|l| l.starts_with("::notice ") && l.contains("(waived)")));
    assert!(text.lines().filter(|l| l.starts_with("::notice ")).count() <= 10);
}

#[test]
fn sarif_carries_what_github_code_scanning_reads() {
    let sarif: Value = serde_json::from_str(&render(&report(DRIFTED), "sarif")).unwrap();
    let run = &sarif["runs"][0];
    assert_eq!(run["automationDetails"]["id"], "driftgate/acme-corp/");
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        let sev: f64 = rule["properties"]["security-severity"].as_str().unwrap().parse().unwrap();
        let want = match rule["properties"]["severity"].as_str().unwrap() {
            "critical" => 9.5,
            "high" => 8.0,
            "medium" => 5.5,
            "low" => 3.0,
            _ => 1.0,
        };
        assert_eq!(sev, want, "{rule}");
        assert!(rule["fullDescription"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        let md = rule["help"]["markdown"].as_str().unwrap();
        assert!(md.contains("**Remediation:**") && md.contains("**SOC 2 criteria:**"), "{md}");
    }
    let again: Value = serde_json::from_str(&render(&report(DRIFTED), "sarif")).unwrap();
    let hashes = |s: &Value| -> Vec<String> {
        s["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["partialFingerprints"]["primaryLocationLineHash"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(hashes(&sarif), hashes(&again), "stable across runs");
    let unique: std::collections::HashSet<String> = hashes(&sarif).into_iter().collect();
    assert_eq!(unique.len(), hashes(&sarif).len());
}

#[test]
fn sarif_stays_within_githubs_result_limit_and_says_so() {
    let mut r = report(DRIFTED);
    let template = r.findings[0].clone();
    r.findings = (0..25_100)
        .map(|i| {
            let mut f = template.clone();
            f.fingerprint = format!("{i:032x}");
            f
        })
        .collect();
    let sarif: Value = serde_json::from_str(&render(&r, "sarif")).unwrap();
    let run = &sarif["runs"][0];
    assert_eq!(run["results"].as_array().unwrap().len(), 25_000);
    assert_eq!(run["properties"]["resultsTruncated"]["total"], 25_100);
    assert!(run["invocations"][0]["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .unwrap()
        .contains("25000"));
}

fn chromium() -> PathBuf {
    let path = PathBuf::from(std::env::var("DRIFTGATE_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()));
    assert!(path.exists(), "headless Chromium not found at {} (.ci/test installs Debian's chromium)", path.display());
    path
}

fn headless(args: &[&str], url: &str) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    std::process::Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .output()
        .unwrap()
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let r = report(DRIFTED);
    let html = render(&r, "html");
    // Self-contained: no external assets and no script.
    let re = regex::Regex::new(r#"(?i)(src|href)\s*=\s*["']?(https?:|//)"#).unwrap();
    assert!(!re.is_match(&html), "the report loads external assets");
    assert!(!html.to_lowercase().contains("<script"), "the report needs no script");
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("report.html");
    std::fs::write(&file, &html).unwrap();
    let url = format!("file://{}", file.display());
    let out = headless(&["--dump-dom"], &url);
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(dom.contains("SOC 2 configuration evidence: acme-corp"), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dom.contains(&format!("Gate: FAIL ({} violation(s))", r.summary.violations)));
    assert!(r.summary.violations > 14, "the example fails on the broader pack's rules too");
    for needle in [
        "id=\"control-CC6.1\"",
        "Tom Reed holds privileged role",
        "/passwordRequirements/minimumLength",
        "SEC-1042",
        &r.snapshot.sha256,
        &r.policy_bundle.sha256,
    ] {
        assert!(dom.contains(needle), "the rendered DOM lacks {needle}");
    }
    // It prints: Chromium's print engine turns it into a multi-page PDF.
    let pdf = d.path().join("report.pdf");
    headless(&["--no-pdf-header-footer", &format!("--print-to-pdf={}", pdf.display())], &url);
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF") && bytes.len() > 20_000, "PDF of {} bytes", bytes.len());
}

#[test]
fn report_render_reproduces_every_format_from_report_json() {
    let d = tempfile::tempdir().unwrap();
    driftgate().args(["check", DRIFTED, "--out"]).arg(d.path()).assert().code(1);
    let report: Report = serde_json::from_slice(&std::fs::read(d.path().join("report.json")).unwrap()).unwrap();
    for f in driftgate::report::formats() {
        let out = driftgate()
            .args(["report", "render"])
            .arg(d.path().join("report.json"))
            .args(["--format", f])
            .output()
            .unwrap();
        assert!(out.status.success(), "{f}");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), render(&report, f), "{f}");
    }
    std::fs::write(d.path().join("bad.json"), "{\"format\": \"driftgate.snapshot/v1\"}").unwrap();
    driftgate().args(["report", "render"]).arg(d.path().join("bad.json")).args(["--format", "html"]).assert().code(2);
}
