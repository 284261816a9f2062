//! `driftgate policy test|lint|doc` through the CLI.

mod support;

use predicates::prelude::*;
use support::*;

fn bundle(files: &[(&str, &str)]) -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    for (p, c) in files {
        let path = d.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, c).unwrap();
    }
    d
}

const RULE: &str = "package t\n\nimport rego.v1\n\n# METADATA\n# title: MFA\n# custom:\n#   id: T-1\n#   controls: [CC6.1]\n#   severity: high\ndeny_mfa contains \"mfa\" if {\n\tsome s in input.resources.authentication_settings\n\tnot s.mfa\n}\n";

#[test]
fn the_pack_passes_its_tests_with_coverage_over_90() {
    let out = driftgate().args(["policy", "test", "policies", "--coverage", "--threshold", "90"]).assert().success();
    let text = String::from_utf8(out.get_output().stdout.clone()).unwrap();
    assert!(!text.contains("FAIL") && !text.contains("ERROR"), "{text}");
    let line = text.lines().find(|l| l.starts_with("PASS: ")).unwrap();
    let (passed, total) = line["PASS: ".len()..].split_once('/').unwrap();
    assert_eq!(passed, total);
    assert!(passed.parse::<usize>().unwrap() >= 50, "{line}");
    assert!(text.contains("threshold 90%: met"), "{text}");
}

#[test]
fn every_pack_rule_has_a_violating_and_a_compliant_test() {
    // Tests are named for what they show: *_denied / *_warns for the violating case and
    // *_passes / *does_not_warn for the compliant one; each rule file has both.
    let out = driftgate().args(["policy", "test", "policies", "--format", "json"]).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = v["results"].as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap()).collect();
    for module in ["authentication", "oauth", "access", "telephony", "monitoring", "change"] {
        let of = |suffixes: &[&str]| {
            names.iter().any(|n| {
                n.contains(&format!("{module}_test.")) && suffixes.iter().any(|s| n.ends_with(s) || n.contains(s))
            })
        };
        assert!(of(&["_denied", "_warns"]), "{module}: no violating-case test");
        assert!(of(&["_passes", "does_not_warn", "_inert_"]), "{module}: no compliant-case test");
    }
    assert_eq!(v["passed"], true);
}

#[test]
fn a_failing_test_and_a_missed_threshold_exit_1() {
    let b = bundle(&[
        ("t.rego", RULE),
        ("t_test.rego", "package t_test\n\nimport data.t\nimport rego.v1\n\ntest_denied if {\n\tcount(t.deny_mfa) == 1 with input as {\"resources\": {\"authentication_settings\": [{\"mfa\": true}]}}\n}\n\ntodo_later if { false }\n"),
    ]);
    driftgate()
        .args(["policy", "test"])
        .arg(b.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("test_denied: FAIL"))
        .stdout(predicate::str::contains("todo_later: SKIPPED"));
    let ok = bundle(&[
        ("t.rego", &format!("{RULE}\nunused contains 1 if {{\n\tinput.x == 1\n}}\n")),
        ("t_test.rego", "package t_test\n\nimport data.t\nimport rego.v1\n\ntest_denied if {\n\tcount(t.deny_mfa) == 1 with input as {\"resources\": {\"authentication_settings\": [{\"mfa\": false}]}}\n}\n"),
    ]);
    driftgate().args(["policy", "test"]).arg(ok.path()).assert().success();
    driftgate()
        .args(["policy", "test", "--threshold", "100"])
        .arg(ok.path())
        .assert()
        .code(1)
        .stdout(predicate::str::contains("BELOW the threshold of 100%"));
}

#[test]
fn run_filter_selects_tests_and_a_bad_threshold_is_a_usage_error() {
    driftgate()
        .args(["policy", "test", "policies", "--run", "oauth_test.test_password"])
        .assert()
        .success()
        .stdout(predicate::str::contains("PASS: 1/1"));
    driftgate().args(["policy", "test", "policies", "--threshold", "ninety"]).assert().code(2);
}

#[test]
fn a_test_bundle_that_does_not_compile_exits_2() {
    let b = bundle(&[("t.rego", "package t\n\ndeny contains x if {\n")]);
    driftgate()
        .args(["policy", "test"])
        .arg(b.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("does not compile"));
}

#[test]
fn lint_accepts_the_pack() {
    driftgate().args(["policy", "lint", "policies"]).assert().success().stdout(predicate::str::contains("no problems"));
}

fn lint_fails_with(files: &[(&str, &str)], expect: &str) {
    let b = bundle(files);
    let out = driftgate().args(["policy", "lint"]).arg(b.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains(expect), "stderr lacks {expect:?}:\n{stderr}");
    assert!(stderr.contains(".rego:"), "no file:line location:\n{stderr}");
}

#[test]
fn lint_fails_on_a_rule_without_metadata() {
    lint_fails_with(
        &[("a.rego", "package a\n\nimport rego.v1\n\ndeny_x contains \"x\" if {\n\tinput.x\n}\n")],
        "has no METADATA",
    );
}

#[test]
fn lint_fails_on_an_unknown_control() {
    lint_fails_with(
        &[("a.rego", &RULE.replace("[CC6.1]", "[CC99.9]"))],
        "names control CC99.9, which is not in the control catalog",
    );
}

#[test]
fn lint_fails_on_a_duplicate_rule_id() {
    let second = RULE.replace("package t", "package u").replace("deny_mfa", "deny_other");
    lint_fails_with(&[("a.rego", RULE), ("b.rego", &second)], "custom.id T-1 is also used by");
}

#[test]
fn lint_fails_on_unknown_severity_and_missing_builtins() {
    lint_fails_with(&[("a.rego", &RULE.replace("severity: high", "severity: urgent"))], "unknown severity \"urgent\"");
    let jwt = RULE.replace("\tnot s.mfa\n", "\tnot s.mfa\n\tio.jwt.decode(s.token)\n");
    lint_fails_with(&[("a.rego", &jwt)], "io.jwt.* is not implemented by regorus");
    let http = RULE.replace("\tnot s.mfa\n", "\tnot s.mfa\n\thttp.send({\"url\": s.u}).status_code == 200\n");
    lint_fails_with(&[("a.rego", &http)], "http.send is refused by driftgate");
}

#[test]
fn doc_writes_a_control_matrix_with_every_rule() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("matrix.md");
    driftgate().args(["policy", "doc", "policies", "-o"]).arg(&out).assert().success();
    let md = std::fs::read_to_string(&out).unwrap();
    assert!(md.starts_with("# Control matrix"));
    assert!(md.contains("| CC6.1 | Logical access security"));
    let pack = std::fs::read_to_string(root().join("policies/soc2/genesys/access.rego")).unwrap();
    for id in ["GC-CC6.3-01", "GC-CC6.3-02", "GC-CC6.3-03", "GC-CC6.2-01"] {
        assert!(pack.contains(id));
        assert!(md.contains(&format!("| `{id}` | genesys-cloud |")), "{id} missing from the matrix");
    }
    assert!(md.contains("| `CX-CC6.3-02` | nice-cxone |"), "CXone rules name their platform");
    assert!(md.contains("## Not tested by this bundle"));
    // At least fifteen criteria, each saying what its rules prove and what they do not.
    let tested = md.lines().filter(|l| l.starts_with("## ") && l.contains(" — ")).count();
    assert!(tested >= 15, "{tested} criteria tested");
    assert!(md.contains("15 of 61 criteria are tested"), "{}", md.lines().nth(4).unwrap_or(""));
    assert_eq!(md.matches("**What the rules prove.**").count(), tested);
    assert_eq!(md.matches("**What they do not.**").count(), tested);
    assert!(!md.contains("No statement of what these rules prove"));
    for c in ["CC6.8", "CC7.1", "CC9.2", "A1.2", "C1.1", "C1.2", "P4.2", "P4.3"] {
        assert!(md.contains(&format!("\n## {c} — ")), "{c} is not tested");
    }
}

#[test]
fn lint_fails_on_a_misspelt_platform() {
    lint_fails_with(
        &[("a.rego", &RULE.replace("#   severity: high\n", "#   severity: high\n#   platform: genesys\n"))],
        "is for platform \"genesys\", which driftgate does not know",
    );
}

#[test]
fn lint_fails_on_a_platform_rule_without_the_platform_guard() {
    let scoped = RULE.replace("#   severity: high\n", "#   severity: high\n#   platform: genesys-cloud\n");
    lint_fails_with(&[("a.rego", &scoped)], "is for genesys-cloud but does not check input.metadata.platform");
    let guarded = scoped.replace("if {\n", "if {\n\tinput.metadata.platform == \"genesys-cloud\"\n");
    let d = bundle(&[("a.rego", &guarded)]);
    driftgate().args(["policy", "lint"]).arg(d.path()).assert().success();
}
