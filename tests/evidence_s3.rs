//! The S3 evidence store against a moto server on loopback: Object Lock on every object,
//! refused deletes, conditional creates, versions read by the verifier, concurrent runs.

mod support;

use aws_sdk_s3::types::{ChecksumMode, ObjectLockLegalHoldStatus, ObjectLockMode};
use driftgate::evidence::store::{Created, S3Settings, S3Store, Store};
use driftgate::evidence::{verify_store, write_package, PackageInput, Signer25519, VerifyOptions};
use serde_json::json;
use std::collections::BTreeMap;
use support::moto::Moto;
use support::*;

fn settings(moto: &Moto, bucket: &str, legal_hold: bool) -> S3Settings {
    S3Settings {
        endpoint_url: Some(moto.endpoint.clone()),
        force_path_style: true,
        legal_hold,
        kms_key_id: Some("alias/driftgate-evidence".into()),
        ..S3Settings::from_url(&format!("s3://{bucket}/evidence")).unwrap()
    }
}

fn input(run: &str) -> PackageInput {
    PackageInput {
        tenant: "acme-corp".into(),
        platform: "genesys-cloud".into(),
        run_id: run.into(),
        collection_id: format!("c-{run}"),
        files: BTreeMap::from([("report.json".to_string(), format!("{{\"run\": \"{run}\"}}\n").into_bytes())]),
        collector: json!({"name": "test"}),
        endpoints: json!([]),
        record_counts: BTreeMap::new(),
        snapshot_sha256: "00".repeat(32),
        policy_bundle_sha256: "11".repeat(32),
        policy_bundle_revision: None,
        baseline_sha256: None,
        retention_days: 30,
        object: Default::default(),
        forensic: None,
    }
}

fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

#[test]
fn packages_in_s3_carry_object_lock_and_verify() {
    let moto = Moto::start();
    let bucket = moto.bucket("ev1");
    let store = S3Store::open(settings(&moto, &bucket, true)).unwrap();
    let key = Signer25519::generate().unwrap();
    write_package(&store, &key, input("run-a"), now()).unwrap();
    let w = write_package(&store, &key, input("run-b"), now()).unwrap();
    assert_eq!(w.sequence, 2);
    let r = verify_store(&store, &VerifyOptions { public_key: Some(key.public()), ..Default::default() }).unwrap();
    assert!(r.ok() && r.problems.is_empty(), "{}", r.to_text());

    let (rt, c) = moto.client();
    let head = rt
        .block_on(
            c.head_object()
                .bucket(&bucket)
                .key(format!("evidence/{}", w.manifest_key))
                .checksum_mode(ChecksumMode::Enabled)
                .send(),
        )
        .unwrap();
    assert_eq!(head.object_lock_mode(), Some(&ObjectLockMode::Compliance));
    assert_eq!(head.object_lock_legal_hold_status(), Some(&ObjectLockLegalHoldStatus::On));
    let until = head.object_lock_retain_until_date().unwrap().secs();
    assert!((until - now().unix_timestamp() - 30 * 86400).abs() < 600, "retain-until is 30 days out");
    assert!(head.checksum_sha256().is_some(), "no checksum stored");
    assert_eq!(head.ssekms_key_id(), Some("alias/driftgate-evidence"));

    // A locked version cannot be deleted.
    let versions = rt
        .block_on(c.list_object_versions().bucket(&bucket).prefix(format!("evidence/{}", w.manifest_key)).send())
        .unwrap();
    let v = versions.versions()[0].version_id().unwrap().to_string();
    let deleted =
        rt.block_on(c.delete_object().bucket(&bucket).key(format!("evidence/{}", w.manifest_key)).version_id(v).send());
    assert!(deleted.is_err(), "a locked version was deleted");
}

#[test]
fn the_chain_entry_is_created_once() {
    let moto = Moto::start();
    let bucket = moto.bucket("ev2");
    let store = S3Store::open(settings(&moto, &bucket, false)).unwrap();
    let until = driftgate::clock::rfc3339(now() + time::Duration::days(1));
    assert_eq!(store.create("t/chain/0000000001.json", b"one", &until).unwrap(), Created::Written);
    assert_eq!(store.create("t/chain/0000000001.json", b"two", &until).unwrap(), Created::Exists);
    assert_eq!(store.get("t/chain/0000000001.json").unwrap().unwrap(), b"one");
}

#[test]
fn a_new_version_of_an_object_is_reported_as_overwritten() {
    let moto = Moto::start();
    let bucket = moto.bucket("ev3");
    let store = S3Store::open(settings(&moto, &bucket, false)).unwrap();
    let key = Signer25519::generate().unwrap();
    let w = write_package(&store, &key, input("run-a"), now()).unwrap();
    let report = w.manifest_key.replace("manifest.json", "report.json");
    let (rt, c) = moto.client();
    // A plain put (GOVERNANCE-bypassing admins can do this) adds a version.
    rt.block_on(
        c.put_object()
            .bucket(&bucket)
            .key(format!("evidence/{report}"))
            .body(aws_sdk_s3::primitives::ByteStream::from_static(b"{\"all\": \"fine\"}"))
            .checksum_algorithm(aws_sdk_s3::types::ChecksumAlgorithm::Sha256)
            .send(),
    )
    .unwrap();
    let r = verify_store(&store, &VerifyOptions { public_key: Some(key.public()), ..Default::default() }).unwrap();
    let codes: Vec<&str> = r.problems.iter().map(|p| p.code).collect();
    assert!(codes.contains(&"overwritten"), "{}", r.to_text());
    assert!(!r.ok());
}

#[test]
fn concurrent_runs_against_s3_cannot_fork_the_chain() {
    let moto = Moto::start();
    let bucket = moto.bucket("ev4");
    let key = std::sync::Arc::new(Signer25519::generate().unwrap());
    let threads: Vec<_> = (0..4)
        .map(|i| {
            let (s, key) = (settings(&moto, &bucket, false), key.clone());
            std::thread::spawn(move || {
                let store = S3Store::open(s).unwrap();
                write_package(&store, &key, input(&format!("run-{i}")), now()).map(|w| w.sequence)
            })
        })
        .collect();
    let results: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let mut committed: Vec<u64> = results.iter().filter_map(|r| r.as_ref().ok().copied()).collect();
    committed.sort();
    assert!(!committed.is_empty());
    assert_eq!(committed, (1..=committed.len() as u64).collect::<Vec<_>>(), "{results:?}");
    for e in results.iter().filter_map(|r| r.as_ref().err()) {
        assert!(e.to_string().contains("another run committed sequence"), "{e}");
    }
    let store = S3Store::open(settings(&moto, &bucket, false)).unwrap();
    let r = verify_store(&store, &VerifyOptions { public_key: Some(key.public()), ..Default::default() }).unwrap();
    assert!(r.ok(), "{}", r.to_text());
    assert!(r.problems.iter().all(|p| p.code == "lost_race"), "{}", r.to_text());
}

#[test]
fn run_and_verify_through_the_cli_with_an_s3_store() {
    let moto = Moto::start();
    let bucket = moto.bucket("ev5");
    let url = format!("s3://{bucket}/prod");
    let d = tempfile::tempdir().unwrap();
    let keyfile = d.path().join("k");
    let key = Signer25519::generate().unwrap();
    std::fs::write(&keyfile, key.to_file_text()).unwrap();
    let s3 = ["--s3-endpoint-url", moto.endpoint.as_str(), "--s3-path-style"];
    driftgate()
        .args(["run", "--snapshot", APPROVED, "--store", &url, "--signing-key"])
        .arg(&keyfile)
        .args(s3)
        .args(["--s3-lock-mode", "GOVERNANCE"])
        .assert()
        .success()
        .stderr(predicates::str::contains("store verified"));
    driftgate()
        .args(["evidence", "verify", url.as_str()])
        .args(s3)
        .assert()
        .success()
        .stdout(predicates::str::contains("VERDICT: OK (1 package(s) in 1 tenant(s) verified)"));
    // A bucket without Object Lock is refused.
    let (rt, c) = moto.client();
    let plain = format!("plain-{}", std::process::id());
    rt.block_on(c.create_bucket().bucket(&plain).send()).unwrap();
    driftgate()
        .args(["evidence", "verify", &format!("s3://{plain}/x")])
        .args(s3)
        .assert()
        .code(2)
        .stderr(predicates::str::contains("does not have Object Lock enabled"));
}

#[test]
fn attribution_and_audit_search_read_an_archive_in_s3() {
    use driftgate::audit::mask::{MaskKey, MaskStats, Masker};
    let moto = Moto::start();
    let bucket = moto.bucket("ev6");
    let store = S3Store::open(settings(&moto, &bucket, false)).unwrap();
    // The example's audit events, as one batch over the example's week.
    let doc = read_json("examples/genesys/acme-corp.audit-events.json");
    let masker = Masker::new(MaskKey::new(b"s3-test-mask-key-0123456789".to_vec(), "test").unwrap(), &[], &[]).unwrap();
    let mut stats = MaskStats::default();
    let lines: Vec<(String, String, Vec<u8>)> = doc["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let m = masker.apply(e.clone(), &mut stats);
            (
                m["eventDate"].as_str().unwrap().into(),
                m["id"].as_str().unwrap().into(),
                driftgate::canonical::to_vec(&m),
            )
        })
        .collect();
    let t = |s: &str| time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).unwrap();
    let key = Signer25519::from_file(&root().join("examples/keys/demo.key")).unwrap();
    driftgate::audit::store_batch(
        &store,
        &key,
        &driftgate::audit::Batch {
            tenant: "acme-corp",
            platform: driftgate::platform::Platform::GenesysCloud,
            interval: (t("2026-11-15T00:00:00Z"), t("2026-11-23T00:00:00Z")),
            run_id: "audit-s3-test".into(),
            events: &lines,
            counts: Default::default(),
            masker: &masker,
            stats: &stats,
            queries: &[],
            checkpoint_before: None,
            source: json!({}),
            retention_days: 3650,
        },
        now(),
    )
    .unwrap();
    let url = format!("s3://{bucket}/evidence");
    let s3 = ["--s3-endpoint-url", moto.endpoint.as_str(), "--s3-path-style"];
    let (code, report) = check_json(&[
        APPROVED.replace("approved", "drifted").as_str(),
        "--audit-store",
        &url,
        "--audit-public-key",
        "examples/keys/demo.pub",
        s3[0],
        s3[1],
        s3[2],
    ]);
    assert_eq!(code, 1);
    let a = &report["attribution"];
    assert_eq!(
        (a["covered"].as_bool(), a["attributed"].as_u64(), a["unattributed"].as_u64()),
        (Some(true), Some(13), Some(1)),
        "{a}"
    );
    let out = driftgate()
        .args(["audit", "search", "--tenant", "acme-corp", "--store", &url])
        .args(s3)
        .args(["--from", "2026-11-15T00:00:00Z", "--to", "2026-11-23T00:00:00Z", "--entity-type", "Queue"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);
}
