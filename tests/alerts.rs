//! Alert sinks against real HTTP servers on loopback.

mod support;

use driftgate::alert::{send_alerts, AlertConfig};
use driftgate::baseline::BaselineSource;
use driftgate::check::{run_check, BaselineChoice, CheckOptions};
use driftgate::report::Report;
use serde_json::Value;
use std::time::{Duration, Instant};
use support::http::{Answer, Server};
use support::*;

fn report(snapshot: &str) -> Report {
    let mut opts = CheckOptions::new(root().join(snapshot));
    opts.policies = root().join("policies");
    opts.baseline = BaselineChoice::Given(BaselineSource::Path(root().join("baselines/acme-corp.json")));
    run_check(&opts).unwrap().report
}

fn sink(kind: &str, url: &str) -> AlertConfig {
    AlertConfig {
        kind: driftgate::alert::SinkKind::from_name(kind).unwrap(),
        url: url.into(),
        token_env: None,
        sourcetype: None,
        index: None,
        on: vec![],
        timeout_secs: Some(1),
        max_attempts: Some(3),
        retry_base_ms: Some(20),
    }
}

fn ok() -> Answer {
    Answer::Status(200, vec![])
}

#[test]
fn webhook_gets_one_summary_document() {
    let server = Server::start(vec![], ok());
    let r = report(DRIFTED);
    let out = send_alerts(&r, &[sink("webhook", &format!("{}/hooks/driftgate?token=secret", server.url))]);
    assert_eq!((out[0].status.as_str(), out[0].attempts), ("sent", 1));
    assert!(!out[0].target.contains("secret") && !out[0].target.contains("hooks"), "{}", out[0].target);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!((reqs[0].method.as_str(), reqs[0].path.as_str()), ("POST", "/hooks/driftgate?token=secret"));
    let doc: Value = serde_json::from_str(&reqs[0].body).unwrap();
    assert_eq!(doc["format"], "driftgate.alert/v1");
    assert_eq!(doc["summary"]["violations"], r.summary.violations);
    assert_eq!(doc["top_findings"].as_array().unwrap().len(), 10);
    assert_eq!(doc["top_drift"][0]["resource_type"], "authentication_settings");
}

#[test]
fn slack_gets_blocks_with_a_fallback_text() {
    let server = Server::start(vec![], ok());
    send_alerts(&report(DRIFTED), &[sink("slack", &server.url)]);
    let doc: Value = serde_json::from_str(&server.requests()[0].body).unwrap();
    assert!(doc["text"].as_str().unwrap().contains("acme-corp"));
    let blocks = doc["blocks"].as_array().unwrap();
    assert_eq!(blocks[0]["type"], "header");
    assert!(blocks[1]["text"]["text"].as_str().unwrap().contains("violation(s)"));
    assert!(blocks[2]["text"]["text"].as_str().unwrap().contains("GC-CC6.3-01"));
}

#[test]
fn splunk_gets_one_event_per_finding_and_drift_record_with_its_token() {
    let server = Server::start(vec![], ok());
    let r = report(DRIFTED);
    std::env::set_var("TEST_HEC_TOKEN", "hec-secret");
    let mut s = sink("splunk", &format!("{}/services/collector/event", server.url));
    s.token_env = Some("TEST_HEC_TOKEN".into());
    s.sourcetype = Some("driftgate:soc2".into());
    let out = send_alerts(&r, &[s]);
    assert_eq!(out[0].status, "sent");
    let req = &server.requests()[0];
    assert_eq!(req.header("Authorization"), Some("Splunk hec-secret"));
    let events: Vec<Value> = req.body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(events.len(), 1 + r.findings.len() + r.drift.len());
    assert!(events.iter().all(|e| e["sourcetype"] == "driftgate:soc2"));
    assert_eq!(events.iter().filter(|e| e["event"]["kind"] == "drift").count(), r.drift.len());
    // Without its token the Splunk sink fails clearly and sends nothing.
    let mut s = sink("splunk", &server.url);
    s.token_env = Some("TEST_HEC_TOKEN_MISSING".into());
    let out = send_alerts(&r, &[s]);
    assert_eq!(out[0].status, "failed");
    assert!(out[0].error.as_deref().unwrap().contains("TEST_HEC_TOKEN_MISSING"));
}

#[test]
fn rate_limits_and_server_errors_are_retried() {
    let server =
        Server::start(vec![Answer::Status(429, vec![("Retry-After", "0".into())]), Answer::Status(503, vec![])], ok());
    let out = send_alerts(&report(DRIFTED), &[sink("webhook", &server.url)]);
    assert_eq!((out[0].status.as_str(), out[0].attempts), ("sent", 3));
    assert_eq!(server.requests().len(), 3);
    // A client error is not retried.
    let bad = Server::start(vec![], Answer::Status(400, vec![]));
    let out = send_alerts(&report(DRIFTED), &[sink("webhook", &bad.url)]);
    assert_eq!((out[0].status.as_str(), out[0].attempts), ("failed", 1));
    assert!(out[0].error.as_deref().unwrap().contains("HTTP 400"));
}

#[test]
fn a_server_that_never_answers_fails_in_bounded_time() {
    let server = Server::start(vec![], Answer::Silence);
    let started = Instant::now();
    let out = send_alerts(&report(DRIFTED), &[sink("webhook", &server.url)]);
    assert_eq!((out[0].status.as_str(), out[0].attempts), ("failed", 3));
    assert!(out[0].error.as_deref().unwrap().contains("no answer within"), "{:?}", out[0].error);
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
}

#[test]
fn nothing_to_report_sends_nothing() {
    let server = Server::start(vec![], ok());
    let out = send_alerts(&report(APPROVED), &[sink("webhook", &server.url)]);
    assert_eq!(out[0].status, "skipped");
    assert!(server.requests().is_empty());
}

#[test]
fn a_failing_sink_does_not_fail_the_evidence_write() {
    let server = Server::start(vec![], Answer::Silence);
    let d = tempfile::tempdir().unwrap();
    let key = driftgate::evidence::Signer25519::generate().unwrap();
    std::fs::write(d.path().join("k"), key.to_file_text()).unwrap();
    let cfg = d.path().join("driftgate.toml");
    std::fs::write(
        &cfg,
        format!(
            "[store]\npath = \"ev\"\n[signing]\nkey_file = \"k\"\n[check]\npolicies = \"{}\"\nbaselines = \"{}\"\n\n[[alerts]]\nkind = \"webhook\"\nurl = \"{}\"\ntimeout_secs = 1\nmax_attempts = 2\nretry_base_ms = 10\n",
            root().join("policies").display(),
            root().join("baselines").display(),
            server.url
        ),
    )
    .unwrap();
    driftgate()
        .args(["run", "--config"])
        .arg(&cfg)
        .args(["--snapshot", DRIFTED])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("store verified"))
        .stderr(predicates::str::contains("alert to webhook (http://127.0.0.1:"))
        .stderr(predicates::str::contains("failed after 2 attempt(s)"));
    let store = d.path().join("ev");
    let logs = driftgate::input::walk_files(&store.join("acme-corp/alerts"), &|_| true).unwrap();
    assert_eq!(logs.len(), 1);
    let log: Value = serde_json::from_slice(&std::fs::read(&logs[0]).unwrap()).unwrap();
    assert_eq!(log["alerts"][0]["status"], "failed");
    let v =
        driftgate::evidence::verify_store(&driftgate::evidence::store::LocalStore::new(&store), &Default::default())
            .unwrap();
    assert!(v.ok() && v.problems.is_empty(), "{}", v.to_text());
}

#[test]
fn check_records_alert_outcomes_in_the_report_and_rejects_bad_sinks() {
    let server = Server::start(vec![], ok());
    let out = driftgate()
        .args(["check", DRIFTED, "--format", "json", "--alert", &format!("slack={}/services/T/B/X", server.url)])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["alerts"][0]["status"], "sent");
    assert_eq!(r["alerts"][0]["target"], server.url);
    driftgate().args(["check", DRIFTED, "--alert", "pager=https://x"]).assert().code(2);
    driftgate().args(["check", DRIFTED, "--alert", "slack"]).assert().code(2);
}
