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
    let opa_tests = opa(&["tests".as_ref(), data.as_os_str()]);
    let tests = &opa_tests["results"];
    let failed: Vec<&String> =
        tests.as_object().unwrap().iter().filter(|(_, ok)| **ok != true).map(|(k, _)| k).collect();
    assert!(failed.is_empty(), "tests failing under OPA: {failed:?}");
    let t = tests.as_object().unwrap().len();
    assert!(t >= 70, "{t} tests");
    // Coverage counted as OPA counts it: the same rows covered and not covered, file by file.
    let (ours, theirs) = coverage_rows(&root().join("policies"), &opa_tests);
    let only_ours: Vec<_> = ours.iter().filter(|r| !theirs.contains(r)).collect();
    let only_opa: Vec<_> = theirs.iter().filter(|r| !ours.contains(r)).collect();
    assert!(
        only_ours.is_empty() && only_opa.is_empty(),
        "coverage rows differ (file, row, covered)\n  only driftgate: {only_ours:?}\n  only OPA: {only_opa:?}"
    );
    let covered = ours.iter().filter(|r| r.2).count();
    let total = ours.len();
    let report = driftgate().args(["policy", "test", "policies", "--coverage", "--format", "json"]).output().unwrap();
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(
        (report["coverage"]["covered"].as_u64(), report["coverage"]["total"].as_u64()),
        (Some(covered as u64), Some(total as u64))
    );
    assert_eq!(opa_tests["covered_lines"].as_u64(), Some(covered as u64));
    println!(
        "opa parity: {} snapshots, {identical} findings identical, {t} tests; coverage: {covered} of {total} rows \
         covered in both, row for row",
        cases.len(),
    );
}

/// Every counted row of the non-test modules of `dir` as (file, row, covered), by
/// driftgate's `policy test --coverage` and by OPA (`opa_tests`, from opa_eval.py's tests).
type Rows = Vec<(String, u64, bool)>;
fn coverage_rows(dir: &Path, opa_tests: &Value) -> (Rows, Rows) {
    let out = driftgate().args(["policy", "test", "--coverage", "--format", "json"]).arg(dir).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut ours: Rows = Vec::new();
    for f in report["coverage"]["files"].as_array().unwrap() {
        let path = f["path"].as_str().unwrap();
        for (key, covered) in [("covered_lines", true), ("not_covered", false)] {
            ours.extend(f[key].as_array().unwrap().iter().map(|l| (path.to_string(), l.as_u64().unwrap(), covered)));
        }
    }
    let mut theirs: Rows = Vec::new();
    for (key, covered) in [("covered", true), ("not_covered", false)] {
        for (f, lines) in opa_tests[key].as_object().unwrap() {
            theirs.extend(lines.as_array().unwrap().iter().map(|l| (f.clone(), l.as_u64().unwrap(), covered)));
        }
    }
    ours.sort();
    theirs.sort();
    (ours, theirs)
}

/// Coverage on a module its tests leave partly unevaluated, in every construct OPA counts.
/// driftgate counts the rows OPA counts; where the two engines evaluate differently, the
/// difference is this known one and no other.
#[test]
fn partial_coverage_is_counted_as_opa_counts_it() {
    let dir = root().join("tests/fixtures/coverage");
    let d = tempfile::tempdir().unwrap();
    let data = d.path().join("data.json");
    std::fs::write(&data, "{}").unwrap();
    let opa_tests = std::process::Command::new("python3")
        .arg(root().join("tests/support/opa_eval.py"))
        .arg(opa_lib())
        .arg(&dir)
        .arg("tests")
        .arg(&data)
        .output()
        .unwrap();
    assert!(opa_tests.status.success(), "{}", String::from_utf8_lossy(&opa_tests.stderr));
    let opa_tests: Value = serde_json::from_slice(&opa_tests.stdout).unwrap();
    assert!(opa_tests["results"].as_object().unwrap().values().all(|ok| *ok == true));
    let (ours, theirs) = coverage_rows(&dir, &opa_tests);
    let only_ours: Vec<_> = ours.iter().filter(|r| !theirs.contains(r)).cloned().collect();
    let only_opa: Vec<_> = theirs.iter().filter(|r| !ours.contains(r)).cloned().collect();
    let row = |n: u64, c: bool| ("cov.rego".to_string(), n, c);
    // Row 23 (the body of a rule no test refers to): regorus evaluates it, OPA never
    // reaches it. Row 42 (an else body whose condition is false): OPA does not count the
    // expressions of a failing else body as evaluated.
    assert_eq!(only_ours, vec![row(23, true), row(42, true)], "driftgate's rows beyond the known difference");
    assert_eq!(only_opa, vec![row(23, false), row(42, false)], "OPA's rows beyond the known difference");
    // Everything else agrees: the default, the never-succeeding rule's head, the
    // multi-line heads and expressions, else values, every and comprehension bodies.
    assert!(ours.contains(&row(17, false)) && ours.contains(&row(22, false)));
    assert_eq!(ours.len(), theirs.len());
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

#[test]
fn a_built_bundle_round_trips_through_driftgate_and_opa() {
    let d = tempfile::tempdir().unwrap();
    let tarball = d.path().join("bundle.tar.gz");
    driftgate()
        .args(["policy", "build", "policies", "-o"])
        .arg(&tarball)
        .args(["--revision", "rev-42"])
        .assert()
        .success();
    // The same bundle either way: modules, data, tests.
    let dir = driftgate::policy::Bundle::load(&root().join("policies")).unwrap();
    let tar = driftgate::policy::Bundle::load(&tarball).unwrap();
    assert_eq!(tar.revision.as_deref(), Some("rev-42"));
    assert_eq!(tar.data, dir.data);
    let texts = |b: &driftgate::policy::Bundle| -> Vec<(String, String)> {
        b.modules.iter().map(|m| (m.path.clone(), m.text.clone())).collect()
    };
    assert_eq!(texts(&tar), texts(&dir));
    assert_eq!(tar.waivers.len(), dir.waivers.len());
    for c in ["CC6.1", "CC8.1", "P4.2"] {
        assert_eq!(tar.controls.contains(c), dir.controls.contains(c), "{c}");
    }
    driftgate().args(["policy", "test"]).arg(&tarball).assert().success();
    // The same findings from the tarball as from the directory, and the revision recorded.
    let from_dir = check_and_dump(&root().join(DRIFTED), &d.path().join("dump-dir"), &[]);
    let t = tarball.display().to_string();
    let dump = d.path().join("dump-tar");
    let from_tar = check_and_dump(&root().join(DRIFTED), &dump, &["--policies", &t]);
    assert_eq!(from_dir, from_tar);
    let out = driftgate().args(["check", DRIFTED, "--format", "json", "--policies", &t]).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["policy_bundle"]["revision"], "rev-42");
    // OPA, loading the tarball's files by its own bundle rules, finds the same.
    let opa_view = opa(&["bundle".as_ref(), tarball.as_os_str(), dump.as_os_str()]);
    assert_eq!(findings_of(opa_view["findings"].as_array().unwrap()), from_tar);
    // And the evidence manifest records the revision; both verifiers accept it.
    let store = d.path().join("store");
    driftgate()
        .args(["run", "--snapshot", APPROVED, "--signing-key", "examples/keys/demo.key", "--policies", &t, "--store"])
        .arg(&store)
        .assert()
        .success();
    let manifest = walk(&store).into_iter().find(|p| p.ends_with("manifest.json")).unwrap();
    let m: Value = serde_json::from_slice(&std::fs::read(manifest).unwrap()).unwrap();
    assert_eq!(m["policy_bundle_revision"], "rev-42");
    let py = std::process::Command::new("python3").arg(store.join("verify_evidence.py")).arg(&store).output().unwrap();
    assert_eq!(py.status.code(), Some(0), "{}", String::from_utf8_lossy(&py.stdout));
}

#[test]
fn a_bad_bundle_tarball_is_refused() {
    let d = tempfile::tempdir().unwrap();
    let write_tar = |name: &str, files: &[(&str, &str)]| {
        let p = d.path().join(name);
        let mut b = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()));
        for (n, text) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(text.len() as u64);
            h.set_mode(0o644);
            h.set_cksum();
            b.append_data(&mut h, n, text.as_bytes()).unwrap();
        }
        std::fs::write(&p, b.into_inner().unwrap().finish().unwrap()).unwrap();
        p
    };
    let rule = "package soc2.x\n\nimport rego.v1\n\n# METADATA\n# title: T\n# custom:\n#   id: X-1\n#   controls: [CC6.1]\n#   severity: low\ndeny contains {\"msg\": \"x\"} if { input.a == 1 }\n";
    let cases = [
        ("overlap.tar.gz", vec![(".manifest", "{\"roots\": [\"soc2\", \"soc2/x\"]}"), ("x.rego", rule)], "overlap"),
        (
            "outside.tar.gz",
            vec![(".manifest", "{\"roots\": [\"other\"]}"), ("x.rego", rule)],
            "outside the manifest's roots",
        ),
    ];
    for (name, files, expect) in cases {
        let p = write_tar(name, &files);
        let out = driftgate().args(["check", APPROVED, "--policies"]).arg(&p).output().unwrap();
        let err =
            String::from_utf8_lossy(&out.stderr).split_whitespace().filter(|w| *w != "│").collect::<Vec<_>>().join(" ");
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(err.contains(expect), "{name}: {err}");
    }
    let out =
        driftgate().args(["policy", "build", "policies", "-o"]).arg(d.path().join("bundle.zip")).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "a bundle is a .tar.gz");
    let not_gzip = d.path().join("plain.tar.gz");
    std::fs::write(&not_gzip, b"not a tarball").unwrap();
    let out = driftgate().args(["check", APPROVED, "--policies"]).arg(&not_gzip).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// `tests/support/bundle_sign.py` with real OPA on its path.
fn bundle_sign(args: &[&std::ffi::OsStr]) -> std::process::Output {
    let out = std::process::Command::new("python3")
        .arg(root().join("tests/support/bundle_sign.py"))
        .arg(opa_lib())
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "bundle_sign.py: {}", String::from_utf8_lossy(&out.stderr));
    out
}

fn rewrite_tar(from: &Path, to: &Path, change: impl Fn(&str, Vec<u8>) -> Option<Vec<u8>>, add: &[(&str, &str)]) {
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(std::fs::File::open(from).unwrap()));
    let mut b = tar::Builder::new(flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()));
    let mut put = |name: &str, bytes: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(bytes.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, bytes).unwrap();
    };
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut bytes).unwrap();
        if let Some(bytes) = change(&name, bytes) {
            put(&name, &bytes);
        }
    }
    for (n, text) in add {
        put(n, text.as_bytes());
    }
    std::fs::write(to, b.into_inner().unwrap().finish().unwrap()).unwrap();
}

#[test]
fn a_signed_bundle_is_verified_as_opa_signs_and_verifies_it() {
    let d = tempfile::tempdir().unwrap();
    let p = |n: &str| d.path().join(n);
    bundle_sign(&["keys".as_ref(), d.path().as_os_str()]);
    std::fs::write(p("claims.json"), r#"{"scope": "prod", "iss": "ci"}"#).unwrap();
    let signed = p("signed.tar.gz");
    driftgate()
        .args(["policy", "build", "policies", "-o"])
        .arg(&signed)
        .args(["--revision", "rev-7", "--signing-key"])
        .arg(p("rsa.key"))
        .arg("--claims-file")
        .arg(p("claims.json"))
        .assert()
        .success();
    // Real OPA (io.jwt.verify_rs256) and `cryptography` accept driftgate's JWS, and every
    // file's digest is the one OPA's hashing rules give.
    let out = bundle_sign(&["check".as_ref(), signed.as_os_str(), p("rsa.pub").as_os_str()]);
    let seen: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(seen["opa_verified"], true, "{seen}");
    assert_eq!(seen["cryptography_verified"], true, "{seen}");
    assert_eq!(seen["digests_ok"], true, "{seen}");
    assert_eq!(seen["opa_header"]["alg"], "RS256");
    assert_eq!(seen["scope"], "prod");

    let t = signed.display().to_string();
    let key = p("rsa.pub").display().to_string();
    let check = |tarball: &str, extra: &[&str]| {
        driftgate().args(["check", DRIFTED, "--format", "json", "--policies", tarball]).args(extra).output().unwrap()
    };
    // Verified: the check runs and the report says which key and algorithm held.
    let out = check(&t, &["--bundle-public-key", &key, "--bundle-scope", "prod"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sig = &report["policy_bundle"]["signature"];
    assert_eq!(sig["algorithm"], "RS256");
    assert_eq!(sig["scope"], "prod");
    assert_eq!(sig["key_sha256"].as_str().map(str::len), Some(64));
    assert_eq!(report["policy_bundle"]["revision"], "rev-7");
    // The same for policy test and the daily run; a run refused for the signature writes
    // no evidence.
    driftgate().args(["policy", "test", &t, "--bundle-public-key", &key, "--bundle-scope", "prod"]).assert().success();
    let run = |store: &Path, extra: &[&str]| {
        driftgate()
            .args([
                "run",
                "--snapshot",
                APPROVED,
                "--signing-key",
                "examples/keys/demo.key",
                "--policies",
                &t,
                "--store",
            ])
            .arg(store)
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&p("store"), &["--bundle-public-key", &key, "--bundle-scope", "prod"]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let out = run(&p("store-refused"), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!walk(&p("store-refused")).iter().any(|f| f.ends_with("manifest.json")), "no package for a refused bundle");

    // Refused, exit 2, no report: no key for a signed bundle, the wrong scope, another key,
    // another algorithm, and a key for an unsigned bundle or a directory.
    let refused = |tarball: &str, extra: &[&str], says: &str| {
        let out = check(tarball, extra);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(out.stdout.is_empty(), "{extra:?}: a report was written");
        assert!(err.contains(says), "{extra:?}: {err}");
    };
    refused(&t, &[], "no key to verify it");
    // A key file that is not a key, and an algorithm that is not one, are refused before
    // the bundle is read.
    std::fs::write(p("not-a-key.pem"), "hello").unwrap();
    let junk = p("not-a-key.pem").display().to_string();
    refused(&t, &["--bundle-public-key", &junk], "is not a");
    refused(&t, &["--bundle-public-key", &key, "--bundle-signing-alg", "XS999"], "is not a JWS algorithm");
    refused(&t, &["--bundle-public-key", &key], "scope");
    let ec = p("ec.pub").display().to_string();
    refused(&t, &["--bundle-public-key", &ec, "--bundle-signing-alg", "ES256", "--bundle-scope", "prod"], "uses RS256");
    let unsigned = p("unsigned.tar.gz");
    driftgate().args(["policy", "build", "policies", "-o"]).arg(&unsigned).assert().success();
    refused(&unsigned.display().to_string(), &["--bundle-public-key", &key], "has no .signatures.json");
    refused("policies", &["--bundle-public-key", &key], "is a directory");

    // Tampering after signing: a module changed, a file added, a file removed.
    let tampered = p("tampered.tar.gz");
    rewrite_tar(
        &signed,
        &tampered,
        |n, b| Some(if n == "soc2/genesys/lib.rego" { [b, b"\n# edited\n".to_vec()].concat() } else { b }),
        &[],
    );
    let tt = tampered.display().to_string();
    refused(&tt, &["--bundle-public-key", &key, "--bundle-scope", "prod"], "soc2/genesys/lib.rego: digest mismatch");
    rewrite_tar(&signed, &tampered, |_, b| Some(b), &[("soc2/extra.rego", "package soc2.extra\n")]);
    refused(&tt, &["--bundle-public-key", &key, "--bundle-scope", "prod"], "soc2/extra.rego is not covered");
    rewrite_tar(&signed, &tampered, |n, b| (n != "data.json").then_some(b), &[]);
    refused(&tt, &["--bundle-public-key", &key, "--bundle-scope", "prod"], "data.json is signed but not in the bundle");
    // Whitespace in a structured document is not a change (OPA hashes it parsed).
    rewrite_tar(
        &signed,
        &tampered,
        |n, b| {
            Some(if n == "data.json" {
                let v: Value = serde_json::from_slice(&b).unwrap();
                serde_json::to_vec(&v).unwrap()
            } else {
                b
            })
        },
        &[],
    );
    assert_eq!(check(&tt, &["--bundle-public-key", &key, "--bundle-scope", "prod"]).status.code(), Some(1));

    // A bundle whose ES256 signature real OPA made (io.jwt.encode_sign, digests computed
    // outside driftgate, entries named "/path" as `opa build` names them) verifies.
    let opa_signed = p("opa-signed.tar.gz");
    bundle_sign(&[
        "opa-sign".as_ref(),
        unsigned.as_os_str(),
        opa_signed.as_os_str(),
        p("ec.key").as_os_str(),
        "team-a".as_ref(),
    ]);
    let o = opa_signed.display().to_string();
    let out = check(&o, &["--bundle-public-key", &ec, "--bundle-signing-alg", "ES256", "--bundle-scope", "team-a"]);
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["policy_bundle"]["signature"]["algorithm"], "ES256");
    refused(&o, &["--bundle-public-key", &key, "--bundle-scope", "team-a"], "uses ES256");
}
