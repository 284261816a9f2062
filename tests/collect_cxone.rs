//! The NICE CXone collector against the emulator's CXone mode on loopback: discovery, both
//! access-key token routes, `skip`/`top` paging against `totalRecords`, every fault the
//! Genesys collector is tested with; a listing that stays short fails with exit 2 and writes
//! nothing; collect → check → evidence end to end.

mod support;

use serde_json::{json, Value};
use std::path::PathBuf;
use support::collected::{self, Run};
use support::cxone::{ACCESS_KEY_ID, ACCESS_KEY_SECRET, APP_CLIENT_ID, APP_CLIENT_SECRET, TENANT_ID};
use support::genesys::{Emulator, Faults};
use support::{driftgate, tenant, walk};

const TENANT: &str = "globex-support";
const AGENTS: &str = "/incontactapi/services/v31.0/agents";

/// `collect --platform nice-cxone` against the emulator; `how` picks the host flags.
fn collect(how: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = driftgate();
    c.args(["collect", "--platform", "nice-cxone", "--tenant", TENANT])
        .args(how)
        .env("CXONE_ACCESS_KEY_ID", ACCESS_KEY_ID)
        .env("CXONE_ACCESS_KEY_SECRET", ACCESS_KEY_SECRET)
        .env_remove("CXONE_CLIENT_ID")
        .env_remove("CXONE_CLIENT_SECRET")
        .env("DRIFTGATE_RETRY_BASE_MS", "20")
        .env_remove("DRIFTGATE_LOG");
    for (k, v) in env {
        c.env(k, v);
    }
    collected::run(c)
}

fn base(emu: &Emulator) -> Vec<String> {
    vec!["--base-url".into(), emu.url.clone()]
}

fn collect_base(emu: &Emulator) -> Run {
    let b = base(emu);
    collect(&b.iter().map(String::as_str).collect::<Vec<_>>(), &[])
}

fn assert_complete(run: &Run, emu: &Emulator) {
    collected::assert_complete(run, emu, TENANT)
}

#[test]
fn a_clean_collection_through_discovery_is_the_tenant_from_real_endpoints() {
    let source = tenant::cxone(2500, 3);
    let emu = Emulator::start_cxone(&source, Faults::default());
    // Discovery on the identity host, then the access-key token route on its auth host.
    let run = collect(&["--tenant-id", TENANT_ID, "--identity-url", &emu.url], &[]);
    assert_complete(&run, &emu);
    assert_eq!(emu.tokens_minted(), 1, "the token is cached");
    let log = emu.log();
    assert!(log.iter().all(|e| e.status == 200), "{:?}", log.iter().find(|e| e.status != 200));
    let paths: Vec<&str> = log.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(paths[0], format!("/.well-known/cxone-configuration?tenantId={TENANT_ID}"));
    assert_eq!(paths[1], "/authentication/v1/token/access-key");
    for want in [
        "/incontactapi/services/v31.0/business-unit",
        "/incontactapi/services/v31.0/agents?skip=0&top=100",
        "/incontactapi/services/v31.0/agents?skip=2500&top=100",
        "/incontactapi/services/v31.0/security-profiles?skip=0&top=100",
        "/incontactapi/services/v31.0/teams?skip=0&top=100",
        "/incontactapi/services/v31.0/skills?skip=0&top=100",
        "/incontactapi/services/v31.0/points-of-contact?skip=0&top=100",
        "/access-key-management/v1/access-keys?skip=0&top=100",
        "/user-management/v2/users/search",
        "/authorization/v1/roles/search",
    ] {
        assert!(paths.contains(&want), "{want} was not requested");
    }
    let snap = run.snapshot.unwrap();
    let types: Vec<&str> = snap["resources"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        types,
        vec![
            "access_keys",
            "agents",
            "business_unit",
            "points_of_contact",
            "roles",
            "security_profiles",
            "skills",
            "teams",
            "users"
        ]
    );
    // The business unit arrives wrapped ({businessUnits: [...]}) and is stored as one item.
    assert_eq!(snap["resources"]["business_unit"][0]["businessUnitId"], 4600123);
    let meta = &snap["metadata"];
    assert_eq!(meta["platform"], "nice-cxone");
    assert_eq!(meta["region"], "na1");
    assert_eq!(meta["api_version"], "v31.0");
    assert_eq!(meta["service_account_id"], ACCESS_KEY_ID);
    assert_eq!(meta["collector"]["name"], "driftgate-nice-cxone");
    let endpoints = meta["endpoints"].as_array().unwrap();
    let agents = endpoints.iter().find(|e| e["resource_type"] == "agents").unwrap();
    assert_eq!(agents["path"], AGENTS);
    assert_eq!(agents["items"], 2510);
    assert_eq!(agents["pages"], 26);
    let text = std::fs::read_to_string(&run.path).unwrap();
    assert!(!text.contains(ACCESS_KEY_SECRET) && !run.stderr.contains(ACCESS_KEY_SECRET));
}

#[test]
fn a_registered_application_signs_in_at_the_oidc_token_endpoint() {
    let source = tenant::cxone(50, 4);
    let emu = Emulator::start_cxone(&source, Faults::default());
    let b = base(&emu);
    let run = collect(
        &b.iter().map(String::as_str).collect::<Vec<_>>(),
        &[("CXONE_CLIENT_ID", APP_CLIENT_ID), ("CXONE_CLIENT_SECRET", APP_CLIENT_SECRET)],
    );
    assert_complete(&run, &emu);
    assert_eq!(emu.log()[0].path, "/auth/token");
    assert!(!run.stderr.contains(APP_CLIENT_SECRET));
}

#[test]
fn a_credentials_file_works_and_wrong_keys_are_refused_without_echo() {
    let source = tenant::cxone(10, 5);
    let emu = Emulator::start_cxone(&source, Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cxone.json");
    std::fs::write(&file, json!({"access_key_id": ACCESS_KEY_ID, "access_key_secret": ACCESS_KEY_SECRET}).to_string())
        .unwrap();
    let run = collect(&["--base-url", &emu.url, "--credentials-file", file.to_str().unwrap()], &[]);
    assert_complete(&run, &emu);

    let run = collect(&["--base-url", &emu.url], &[("CXONE_ACCESS_KEY_SECRET", "wrong-secret-123")]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.snapshot.is_none());
    assert!(run.stderr.contains("token request refused (HTTP 401)"), "{}", run.stderr);
    assert!(!run.stderr.contains("wrong-secret-123"));
}

#[test]
fn rate_limits_with_and_without_retry_after_and_5xx_bursts_are_retried() {
    let source = tenant::cxone(600, 6);
    let emu = Emulator::start_cxone(
        &source,
        Faults { rate_limit_every: Some(5), retry_after: Some(1), server_errors: Some((7, 2)), ..Default::default() },
    );
    let run = collect_base(&emu);
    assert_complete(&run, &emu);
    assert!(emu.count(429) > 0 && emu.log().iter().any(|e| e.status >= 500));

    // CXone's 429 may carry no Retry-After: exponential backoff with jitter instead.
    let emu = Emulator::start_cxone(&source, Faults { rate_limit_every: Some(4), ..Default::default() });
    let run = collect_base(&emu);
    assert_complete(&run, &emu);
    assert!(emu.count(429) > 0);
}

#[test]
fn a_revoked_token_is_reminted_once_and_the_same_page_resumed() {
    let source = tenant::cxone(800, 8);
    let emu = Emulator::start_cxone(&source, Faults { revoke_tokens_after: Some(6), ..Default::default() });
    let run = collect_base(&emu);
    assert_complete(&run, &emu);
    assert_eq!(emu.tokens_minted(), 2);
    let log = emu.log();
    let refused: Vec<usize> = (0..log.len()).filter(|i| log[*i].status == 401).collect();
    assert!(!refused.is_empty(), "a 401 was answered");
    // Every refused request is sent again (same page) with the new token, and succeeds.
    for i in refused {
        let again = log[i + 1..].iter().find(|e| e.path == log[i].path && e.method == log[i].method);
        let again = again.unwrap_or_else(|| panic!("{} was not resumed", log[i].path));
        assert_eq!(again.status, 200);
        assert_ne!(again.authorization, log[i].authorization, "resumed with the new token");
    }
}

#[test]
fn tokens_are_renewed_before_they_expire() {
    let source = tenant::cxone(700, 9);
    let emu = Emulator::start_cxone(
        &source,
        Faults { token_lifetime: Some(6), slow_pages_ms: Some(700), ..Default::default() },
    );
    let run = collect(&["--base-url", &emu.url, "--concurrency", "1"], &[]);
    assert_complete(&run, &emu);
    assert!(emu.tokens_minted() >= 2, "the run outlived its first token");
    assert_eq!(emu.count(401), 0, "tokens were renewed before they expired");
}

#[test]
fn slow_pages_time_out_and_are_retried() {
    let source = tenant::cxone(300, 10);
    let emu = Emulator::start_cxone(&source, Faults { slow_pages_ms: Some(1500), ..Default::default() });
    let b = base(&emu);
    let run = collect(&b.iter().map(String::as_str).collect::<Vec<_>>(), &[("DRIFTGATE_HTTP_TIMEOUT_MS", "700")]);
    assert_complete(&run, &emu);
}

#[test]
fn a_listing_that_stays_short_fails_with_exit_2_and_writes_nothing() {
    let source = tenant::cxone(300, 11);
    let emu = Emulator::start_cxone(&source, Faults { short_always: Some(AGENTS.into()), ..Default::default() });
    let run = collect_base(&emu);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.snapshot.is_none(), "nothing may be written");
    assert!(run.stderr.contains("collection of agents is incomplete"), "{}", run.stderr);
    assert!(run.stderr.contains("totalRecords"), "{}", run.stderr);
}

#[test]
fn a_listing_short_once_and_agents_added_while_paging_are_read_again_whole() {
    let source = tenant::cxone(400, 12);
    let emu = Emulator::start_cxone(
        &source,
        Faults { short_once: Some("/access-key-management/v1/access-keys".into()), ..Default::default() },
    );
    let run = collect_base(&emu);
    assert_complete(&run, &emu);

    let emu = Emulator::start_cxone(&source, Faults { add_user_while_paging: true, ..Default::default() });
    let run = collect_base(&emu);
    assert_complete(&run, &emu);
    let agents = run.snapshot.unwrap()["resources"]["agents"].as_array().unwrap().len();
    assert_eq!(agents, 411, "the agent added while paging is in the snapshot");
}

#[test]
fn another_api_version_and_page_size_are_settings() {
    let source = tenant::cxone(120, 13);
    let emu = Emulator::start_cxone(&source, Faults::default());
    let run = collect(&["--base-url", &emu.url, "--api-version", "v26.0", "--page-size", "40"], &[]);
    assert_complete(&run, &emu);
    assert!(emu.log().iter().any(|e| e.path == "/incontactapi/services/v26.0/agents?skip=120&top=40"));
    // A version the tenant does not serve is a clean failure, not an empty snapshot.
    let run = collect(&["--base-url", &emu.url, "--api-version", "v12.0"], &[]);
    assert_eq!(run.code, 2);
    assert!(run.snapshot.is_none());
    assert!(run.stderr.contains("HTTP 404"), "{}", run.stderr);
}

#[test]
fn bad_invocations_exit_2_with_a_diagnostic() {
    let source = tenant::cxone(5, 14);
    let emu = Emulator::start_cxone(&source, Faults::default());
    let run = collect(&["--base-url", &emu.url, "--settle", "5"], &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--settle is not available for nice-cxone"), "{}", run.stderr);
    let run = collect(&[], &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--tenant-id"), "{}", run.stderr);
    let run = collect(&["--tenant-id", "no-such-tenant", "--identity-url", &emu.url], &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("discovery failed: HTTP 404"), "{}", run.stderr);
    let run = collect(&["--base-url", &emu.url, "--resources", "trunks"], &[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("NICE CXone types"), "{}", run.stderr);
    let mut c = driftgate();
    let out = c
        .args(["collect", "--platform", "genesys-cloud", "--tenant", "t", "--region", "eu-west-1", "--tenant-id", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--tenant-id is for --platform nice-cxone"));
}

#[test]
fn collect_check_and_run_end_to_end_into_sealed_evidence() {
    // The example tenant as the emulator serves it, drifted: collect, then check against the
    // bundled baseline, then `run` from a config into a signed evidence package.
    let drifted = support::read_json("examples/nice-cxone/globex-support.drifted.json");
    let emu = Emulator::start_cxone(&drifted, Faults { rate_limit_every: Some(9), ..Default::default() });
    let run = collect_base(&emu);
    assert_complete(&run, &emu);
    let out = driftgate().args(["check", "--format", "json"]).arg(&run.path).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let collected = support::finding_ids(&report);
    let (_, from_file) = support::check_json(&["examples/nice-cxone/globex-support.drifted.json"]);
    assert_eq!(collected, support::finding_ids(&from_file), "the collection checks like the example file");
    assert_eq!(report["drift"].as_array().unwrap().len(), 6);

    let dir = tempfile::tempdir().unwrap();
    let cfg = support::write_config(
        dir.path(),
        &dir.path().join("evidence").display().to_string(),
        &format!(
            "[[tenants]]\nname = \"globex-support\"\nplatform = \"nice-cxone\"\nbase_url = \"{}\"\n\
             credentials = {{ access_key_id_env = \"GLOBEX_KEY_ID\", access_key_secret_env = \"GLOBEX_KEY_SECRET\" }}\n",
            emu.url
        ),
    );
    let out = driftgate()
        .args(["run", "--config"])
        .arg(&cfg)
        .env("GLOBEX_KEY_ID", ACCESS_KEY_ID)
        .env("GLOBEX_KEY_SECRET", ACCESS_KEY_SECRET)
        .env_remove("CXONE_CLIENT_ID")
        .env("DRIFTGATE_RETRY_BASE_MS", "5")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let manifests: Vec<PathBuf> = walk(&dir.path().join("evidence"))
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "manifest.json"))
        .collect();
    assert_eq!(manifests.len(), 1, "{manifests:?}");
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(&manifests[0]).unwrap()).unwrap();
    assert_eq!(manifest["collector"]["name"], "driftgate-nice-cxone");
    assert_eq!(manifest["record_counts"]["agents"], 10);
    assert!(manifest["endpoints"].as_array().unwrap().iter().any(|e| e["path"] == AGENTS));
    let verify = driftgate()
        .args(["evidence", "verify"])
        .arg(dir.path().join("evidence"))
        .args(["--public-key", "examples/keys/demo.pub"])
        .output()
        .unwrap();
    assert_eq!(verify.status.code(), Some(0), "{}", String::from_utf8_lossy(&verify.stdout));
    for f in walk(&dir.path().join("evidence")) {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        assert!(!text.contains(ACCESS_KEY_SECRET), "the access key secret reached {}", f.display());
    }
}

#[test]
fn audit_pull_and_forensics_refuse_a_cxone_tenant_which_has_no_audit_api() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = support::write_config(
        dir.path(),
        &dir.path().join("evidence").display().to_string(),
        "[[tenants]]\nname = \"globex-support\"\nplatform = \"nice-cxone\"\nregion = \"na1\"\n",
    );
    let out = driftgate().args(["audit", "pull", "--config"]).arg(&cfg).args(["--tenant", TENANT]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("tenant globex-support is on nice-cxone, which has no audit query API"), "{stderr}");
    let out = driftgate()
        .args(["forensics", "collect", "--config"])
        .arg(&cfg)
        .args(["--tenant", TENANT, "--incident", "INC-1", "--subject", "u1"])
        .args(["--from", "2026-11-01T00:00:00Z", "--to", "2026-11-02T00:00:00Z"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no audit query API"));
    assert!(!dir.path().join("evidence").join("globex-support.audit").exists());
    // audit status names it as such, and over the whole config leaves it out rather than
    // reporting a checkpoint that can never exist.
    let out = driftgate().args(["audit", "status", "--config"]).arg(&cfg).args(["--tenant", TENANT]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no audit query API"));
    let out = driftgate().args(["audit", "status", "--config"]).arg(&cfg).args(["--format", "json"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains("globex-support"), "{stdout}");
}

#[test]
fn under_every_fault_collect_then_check_gives_the_example_verdict() {
    let drifted = support::read_json("examples/nice-cxone/globex-support.drifted.json");
    let (_, from_file) = support::check_json(&["examples/nice-cxone/globex-support.drifted.json"]);
    let want = support::finding_ids(&from_file);
    let faults = [
        Faults { rate_limit_every: Some(3), retry_after: Some(0), ..Default::default() },
        Faults { rate_limit_every: Some(4), ..Default::default() },
        Faults { server_errors: Some((3, 2)), ..Default::default() },
        Faults { revoke_tokens_after: Some(4), ..Default::default() },
        Faults { slow_pages_ms: Some(300), ..Default::default() },
        Faults { short_once: Some(AGENTS.into()), ..Default::default() },
        Faults { add_user_while_paging: true, ..Default::default() },
    ];
    for (i, f) in faults.into_iter().enumerate() {
        let emu = Emulator::start_cxone(&drifted, f);
        // Pages of 4 so that every listing of the small example has several.
        let run = collect(&["--base-url", &emu.url, "--page-size", "4"], &[]);
        assert_complete(&run, &emu);
        let out = driftgate().args(["check", "--format", "json"]).arg(&run.path).output().unwrap();
        let report: Value = serde_json::from_slice(&out.stdout).unwrap();
        let got = support::finding_ids(&report);
        if i == 6 {
            // The agent added while paging is real: the findings are the example's plus those
            // about that agent (a copy of the first agent listed), nothing else.
            let others: Vec<String> = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["resource"]["id"] != "39999")
                .map(|f| f["id"].as_str().unwrap().to_string())
                .collect();
            assert_eq!(others, want, "fault {i}");
            assert!(got.len() > want.len(), "fault {i}: the added agent is drift");
        } else {
            assert_eq!(got, want, "fault {i}");
        }
        assert_eq!(out.status.code(), Some(1), "fault {i}");
    }
}
