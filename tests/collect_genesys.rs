//! The Genesys Cloud collector against the emulator on loopback: a clean collection and one
//! under every fault equal the emulator's tenant after normalization; a listing that stays
//! short fails with exit 2 and writes nothing; `collect` feeds `check` and `run`.

mod support;

use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;
use support::collected::{self, Run};
use support::genesys::{Emulator, Faults, CLIENT_ID, CLIENT_SECRET};
use support::{driftgate, tenant, walk};

const TENANT: &str = "acme-corp";

fn collect_cmd(emu: &Emulator) -> assert_cmd::Command {
    let mut c = driftgate();
    c.args(["collect", "--platform", "genesys-cloud", "--region", "eu-west-1", "--tenant", TENANT])
        .args(["--base-url", &emu.url, "--auth-url", &format!("{}/oauth/token", emu.url)])
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        .env("DRIFTGATE_RETRY_BASE_MS", "20")
        .env_remove("DRIFTGATE_LOG");
    c
}

fn collect(emu: &Emulator, extra: &[&str], env: &[(&str, &str)]) -> Run {
    let mut c = collect_cmd(emu);
    c.args(extra);
    for (k, v) in env {
        c.env(k, v);
    }
    collected::run(c)
}

fn assert_complete(run: &Run, emu: &Emulator) {
    collected::assert_complete(run, emu, TENANT)
}

#[test]
fn a_clean_collection_is_the_tenant_with_one_token_and_real_endpoints() {
    let source = tenant::genesys(3000, 7);
    let emu = Emulator::start(&source, Faults::default());
    let run = collect(&emu, &[], &[]);
    assert_complete(&run, &emu);
    assert_eq!(emu.tokens_minted(), 1, "the token is cached");
    let log = emu.log();
    assert!(log.iter().all(|e| e.status == 200), "{:?}", log.iter().find(|e| e.status != 200));
    // Every resource type of the contract, from its real endpoint and paging style.
    let snap = run.snapshot.unwrap();
    let types: Vec<&str> = snap["resources"].as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(types.len(), 19, "{types:?}");
    let paths: Vec<&str> = log.iter().map(|e| e.path.as_str()).collect();
    for want in [
        "/api/v2/users?expand=authorization&state=active&pageSize=500&pageNumber=6",
        "/api/v2/users?expand=authorization&state=inactive&sortOrder=ascending&pageSize=500&pageNumber=1",
        "/api/v2/users?expand=authorization&state=deleted&sortOrder=ascending&pageSize=500&pageNumber=1",
        "/api/v2/telephony/providers/edges/trunkbasesettings?expand=properties&pageSize=100&pageNumber=1",
        "/api/v2/authorization/divisions/query?pageSize=200",
        "/api/v2/oauth/clients",
        "/api/v2/identityproviders",
        "/api/v2/organizations/authentication/settings",
        "/api/v2/workforcemanagement/businessunits",
        "/api/v2/orgauthorization/trustees?pageSize=100&pageNumber=1",
        "/api/v2/recording/mediaretentionpolicies?pageSize=100&pageNumber=1",
        "/api/v2/flows?pageSize=100&pageNumber=1",
        "/api/v2/orgauthorization/trustees/d1c9f5a2-7e4b-4f0e-9a61-3b2c8e5f7a10/users?pageSize=100&pageNumber=1",
        "/api/v2/orgauthorization/trustees/d1c9f5a2-7e4b-4f0e-9a61-3b2c8e5f7a10/users/c8a1e5d2-4b7f-4e3a-9c6d-1f2e8b5a7d31/roles",
    ] {
        assert!(paths.contains(&want), "{want} was not requested: {paths:#?}");
    }
    assert!(paths
        .iter()
        .any(|p| p.starts_with("/api/v2/workforcemanagement/businessunits/") && p.ends_with("/managementunits")));
    // Metadata: collector, endpoints, ids; the secret of an OAuth client never stored.
    let meta = &snap["metadata"];
    assert_eq!(meta["platform"], "genesys-cloud");
    assert_eq!(meta["region"], "mypurecloud.ie");
    assert_eq!(meta["service_account_id"], CLIENT_ID);
    assert_eq!(meta["collector"]["name"], "driftgate-genesys-cloud");
    assert!(meta["collection_id"].as_str().unwrap().starts_with("acme-corp-2"));
    let endpoints = meta["endpoints"].as_array().unwrap();
    let users: Vec<&Value> = endpoints.iter().filter(|e| e["resource_type"] == "users").collect();
    assert_eq!(users.len(), 3, "one listing per user state");
    assert_eq!(users.iter().map(|e| e["items"].as_u64().unwrap()).sum::<u64>(), 3024);
    let text = std::fs::read_to_string(&run.path).unwrap();
    assert!(!text.contains("s3cr3t-"), "an OAuth client secret reached the snapshot");
    assert!(!text.contains(CLIENT_SECRET) && !run.stderr.contains(CLIENT_SECRET));
}

#[test]
fn rate_limits_with_retry_after_are_honoured() {
    let source = tenant::genesys(600, 1);
    let emu =
        Emulator::start(&source, Faults { rate_limit_every: Some(4), retry_after: Some(1), ..Default::default() });
    let run = collect(&emu, &["--concurrency", "2"], &[("DRIFTGATE_RETRY_BASE_MS", "1")]);
    assert_complete(&run, &emu);
    let log = emu.log();
    let limited: Vec<usize> = (0..log.len()).filter(|&i| log[i].status == 429).collect();
    assert!(limited.len() >= 3, "the fault was injected");
    // The business-unit listing is requested by two types (business units, and management
    // units per unit), so the next request for it need not be the retry: leave it out.
    let shared = "/api/v2/workforcemanagement/businessunits";
    for i in limited.into_iter().filter(|&i| log[i].path != shared) {
        let again = log[i + 1..].iter().find(|e| e.path == log[i].path).expect("the request was retried");
        let waited = again.at - log[i].at;
        assert!(waited >= Duration::from_millis(950), "{} retried after {waited:?}, not Retry-After", log[i].path);
    }
}

#[test]
fn rate_limits_without_retry_after_and_5xx_bursts_are_retried_with_backoff() {
    let source = tenant::genesys(2000, 2);
    let emu = Emulator::start(
        &source,
        Faults { rate_limit_every: Some(7), server_errors: Some((5, 2)), ..Default::default() },
    );
    let run = collect(&emu, &[], &[]);
    assert_complete(&run, &emu);
    assert!(emu.count(429) >= 3 && emu.count(503) >= 1 && emu.count(502) >= 1, "faults injected");
}

#[test]
fn a_revoked_token_is_reminted_once_and_the_same_page_resumed() {
    let source = tenant::genesys(2500, 3);
    let emu = Emulator::start(&source, Faults { revoke_tokens_after: Some(12), ..Default::default() });
    let run = collect(&emu, &["--concurrency", "1"], &[]);
    assert_complete(&run, &emu);
    assert_eq!(emu.tokens_minted(), 2);
    let log = emu.log();
    let i = log.iter().position(|e| e.status == 401).expect("a 401 was answered");
    let retry = &log[i + 1..].iter().find(|e| e.path != "/oauth/token").unwrap();
    assert_eq!(retry.path, log[i].path, "the same page is asked again");
    assert_eq!(retry.status, 200);
    assert_ne!(retry.authorization, log[i].authorization, "with the new token");
}

#[test]
fn tokens_are_renewed_before_they_expire() {
    let source = tenant::genesys(3000, 15);
    // Six-second tokens, renewed 5 s early; five user pages take 0.7 s each: the run (3.5 s
    // at least) outlives several.
    let emu =
        Emulator::start(&source, Faults { token_lifetime: Some(6), slow_pages_ms: Some(700), ..Default::default() });
    let run = collect(&emu, &["--concurrency", "1", "--resources", "users,groups,queues"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(emu.tokens_minted() >= 2, "minted {}", emu.tokens_minted());
    assert_eq!(emu.count(401), 0, "no call was made with an expired token");
}

#[test]
fn wrong_credentials_are_refused_at_the_token_endpoint_without_echoing_the_secret() {
    let source = tenant::genesys(0, 3);
    let emu = Emulator::start(&source, Faults::default());
    let out = collect_cmd(&emu)
        .args(["-o", "/nonexistent-dir/snapshot.json"])
        .env("GENESYS_CLIENT_SECRET", "wrong-secret-value")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("token request refused"), "{stderr}");
    assert!(!stderr.contains("wrong-secret-value"));
}

#[test]
fn slow_pages_time_out_and_are_retried() {
    let source = tenant::genesys(1500, 4);
    let emu = Emulator::start(&source, Faults { slow_pages_ms: Some(1500), ..Default::default() });
    let run = collect(&emu, &[], &[("DRIFTGATE_HTTP_TIMEOUT_MS", "400")]);
    assert_complete(&run, &emu);
    let log = emu.log();
    let users_page2: Vec<_> =
        log.iter().filter(|e| e.path.contains("state=active") && e.path.ends_with("pageNumber=2")).collect();
    assert_eq!(users_page2.len(), 2, "the slow page was asked twice");
}

#[test]
fn a_listing_that_stays_short_fails_with_exit_2_and_writes_nothing() {
    let source = tenant::genesys(800, 5);
    let emu =
        Emulator::start(&source, Faults { short_always: Some("/api/v2/routing/queues".into()), ..Default::default() });
    let run = collect(&emu, &[], &[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.snapshot.is_none(), "a truncated snapshot was written");
    assert!(!run.path.exists());
    assert!(run.stderr.contains("queues") && run.stderr.contains("incomplete"), "{}", run.stderr);
    assert!(run.stderr.contains("collected 12 of the 13"), "{}", run.stderr);
}

#[test]
fn a_listing_short_once_is_read_again() {
    let source = tenant::genesys(800, 5);
    let emu = Emulator::start(
        &source,
        Faults { short_once: Some("/api/v2/authorization/roles".into()), ..Default::default() },
    );
    assert_complete(&collect(&emu, &[], &[]), &emu);
}

#[test]
fn configuration_changing_while_it_is_read_is_read_again_whole() {
    let source = tenant::genesys(1200, 6);
    let emu = Emulator::start(&source, Faults { add_user_while_paging: true, ..Default::default() });
    let run = collect(&emu, &[], &[]);
    assert_complete(&run, &emu);
    let users = run.snapshot.unwrap()["resources"]["users"].as_array().unwrap().clone();
    assert!(users.iter().any(|u| u["id"] == "00000000-added-while-paging"));
}

#[test]
fn users_past_the_deep_paging_limit_are_read_from_both_ends() {
    let mut source = tenant::genesys(0, 8);
    let users = source["resources"]["users"].as_array_mut().unwrap();
    for i in 0..10_300 {
        users.push(json!({"id": format!("inactive-{i:05}"), "name": format!("Former {i:05}"), "state": "inactive",
                          "authorization": {"roles": [], "permissions": []}}));
    }
    let emu = Emulator::start(&source, Faults::default());
    let run = collect(&emu, &["--resources", "users,roles"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let got = run.snapshot.unwrap();
    let want = emu.truth(TENANT);
    assert_eq!(
        got["resources"]["users"].as_array().unwrap().len(),
        want["resources"]["users"].as_array().unwrap().len()
    );
    let mut want_only = want.clone();
    want_only["resources"] = json!({"users": want["resources"]["users"], "roles": want["resources"]["roles"]});
    assert_eq!(collected::digest(&got), collected::digest(&want_only));
    let log = emu.log();
    assert!(log.iter().all(|e| e.status == 200), "no page past the limit was asked");
    assert!(log.iter().any(|e| e.path.contains("state=inactive&sortOrder=descending")));
}

#[test]
fn the_settle_window_waits_for_a_quiet_tenant_and_says_so() {
    let source = tenant::genesys(0, 9);
    let emu = Emulator::start(&source, Faults { recent_changes: vec![2, 1], ..Default::default() });
    let run = collect(&emu, &["--settle", "5"], &[("DRIFTGATE_SETTLE_POLL_MS", "50")]);
    assert_complete(&run, &emu);
    let settle = &run.snapshot.unwrap()["metadata"]["settle"];
    assert_eq!(settle["quiet"], true);
    assert_eq!(settle["changes_seen"], json!([2, 1, 0]));
    assert_eq!(settle["window_minutes"], 5);
    assert!(run.stderr.contains("waiting for the tenant to settle"));
}

#[test]
fn rate_limit_headers_pace_the_collection() {
    let source = tenant::genesys(0, 10);
    // Six calls per 1.2 s window, 429 past that: paced, the collection never sees one.
    let emu = Emulator::start(&source, Faults { window: Some((6, 1200)), ..Default::default() });
    let run = collect(&emu, &["--concurrency", "1", "--resources", "users,roles,groups,queues,skills"], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(emu.count(429), 0, "pacing by inin-ratelimit-* headers avoided every 429");
}

#[test]
fn debug_logs_carry_correlation_ids_and_no_secrets() {
    let source = tenant::genesys(0, 11);
    let emu =
        Emulator::start(&source, Faults { rate_limit_every: Some(4), retry_after: Some(0), ..Default::default() });
    let run = collect(&emu, &["--resources", "users,oauth_clients"], &[("DRIFTGATE_LOG", "debug")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("-> 429 (correlation id emu-"), "{}", run.stderr);
    assert!(!run.stderr.contains(CLIENT_SECRET) && !run.stderr.contains("emu-token-"), "{}", run.stderr);
}

#[test]
fn bad_invocations_exit_2_with_a_diagnostic() {
    let emu = Emulator::start(&tenant::genesys(0, 12), Faults::default());
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("s.json");
    let cases: Vec<(Vec<&str>, &str)> =
        vec![(vec!["--resources", "users,telephones"], "unknown resource type \"telephones\"")];
    for (args, want) in cases {
        let o = collect_cmd(&emu).arg("-o").arg(&out).args(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(want), "{want}: {stderr}");
    }
    let o = driftgate()
        .args(["collect", "--platform", "genesys-cloud", "--region", "mars-1", "--tenant", TENANT])
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown Genesys Cloud region \"mars-1\""));
    let o = driftgate()
        .args(["collect", "--platform", "genesys-cloud", "--base-url", &emu.url, "--tenant", "../escape"])
        .env("GENESYS_CLIENT_ID", CLIENT_ID)
        .env("GENESYS_CLIENT_SECRET", CLIENT_SECRET)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("tenant \"../escape\""),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let o = collect_cmd(&emu).arg("-o").arg(&out).env_remove("GENESYS_CLIENT_SECRET").output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("GENESYS_CLIENT_SECRET is not set"));
    assert!(!out.exists());
}

#[test]
fn a_collected_snapshot_checks_like_the_file_it_came_from() {
    let source = tenant::genesys(0, 13);
    let emu = Emulator::start(&source, Faults::default());
    let run = collect(&emu, &[], &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let (code, collected) = support::check_json(&[run.path.to_str().unwrap()]);
    let (code_file, from_file) = support::check_json(&[support::APPROVED]);
    assert_eq!(code, code_file);
    assert_eq!(collected["snapshot"]["sha256"], from_file["snapshot"]["sha256"], "same configuration digest");
    let without_location = |r: &Value| {
        let mut f = r["findings"].clone();
        for x in f.as_array_mut().unwrap() {
            // Line numbers in the normalized file differ: the collected metadata is longer;
            // and each points into its own file.
            x.as_object_mut().unwrap().remove("location");
            x.as_object_mut().unwrap().remove("source");
        }
        f
    };
    assert_eq!(without_location(&collected), without_location(&from_file));
    // The types the broader pack reads come through collection to its rules: each criterion
    // they evidence is judged (PASS), not INCONCLUSIVE for want of the data.
    let snap: Value = serde_json::from_str(&std::fs::read_to_string(&run.path).unwrap()).unwrap();
    for (rtype, n) in [("trustees", 2), ("media_retention_policies", 2), ("flows", 2)] {
        assert_eq!(snap["resources"][rtype].as_array().map(Vec::len), Some(n), "{rtype}");
    }
    for c in ["CC9.2", "C1.2", "P4.2", "P4.3", "CC6.8", "A1.2", "C1.1"] {
        assert_eq!(support::control_status(&collected, c), "PASS", "{c}");
    }
    assert_eq!(collected["drift"], json!([]));
    assert_eq!(collected["quarantine"], json!([]));
}

#[test]
fn run_collects_a_tenant_without_a_snapshot_into_sealed_evidence() {
    let source = tenant::genesys(300, 14);
    let emu =
        Emulator::start(&source, Faults { rate_limit_every: Some(10), retry_after: Some(0), ..Default::default() });
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("genesys.json");
    std::fs::write(&creds, json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}).to_string()).unwrap();
    let cfg = support::write_config(
        dir.path(),
        &dir.path().join("evidence").display().to_string(),
        &format!(
            "[[tenants]]\nname = \"acme-corp\"\nplatform = \"genesys-cloud\"\nregion = \"eu-west-1\"\n\
             base_url = \"{}\"\ncredentials = {{ secret_file = \"genesys.json\" }}\n",
            emu.url
        ),
    );
    let out = driftgate().args(["run", "--config"]).arg(&cfg).env("DRIFTGATE_RETRY_BASE_MS", "5").output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // 300 generated users are new relative to the baseline: drift, so the gate fails (1).
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    let manifests: Vec<PathBuf> = walk(&dir.path().join("evidence"))
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "manifest.json"))
        .collect();
    assert_eq!(manifests.len(), 1, "{manifests:?}");
    let manifest: Value = serde_json::from_str(&std::fs::read_to_string(&manifests[0]).unwrap()).unwrap();
    assert_eq!(manifest["collector"]["name"], "driftgate-genesys-cloud");
    assert_eq!(manifest["collector"]["snapshot"], emu.url);
    let endpoints = manifest["endpoints"].as_array().unwrap();
    assert!(endpoints.iter().any(|e| e["path"] == "/api/v2/users" && e["query"]["state"] == "deleted"));
    assert_eq!(manifest["record_counts"]["users"], 324);
    let raw = std::fs::read_to_string(manifests[0].with_file_name("snapshot.raw.json")).unwrap();
    assert!(!raw.contains("s3cr3t-") && !raw.contains(CLIENT_SECRET));
    let v = driftgate().args(["evidence", "verify"]).arg(dir.path().join("evidence")).output().unwrap();
    assert_eq!(v.status.code(), Some(0), "{}", String::from_utf8_lossy(&v.stderr));
}
