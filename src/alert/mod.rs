//! Alerts: after a run, one message per sink when it found drift, violations or quarantined
//! items. Sinks sit behind [`Sink`], one file each (`webhook`, `slack`, `splunk`). Delivery
//! retries 429 and 5xx answers and timeouts with backoff and never fails the evidence write:
//! each sink's outcome is recorded in the report instead.

mod http;
mod slack;
mod splunk;
mod webhook;

use crate::error::{Error, Result};
use crate::report::{AlertOutcome, Report};
use serde::Deserialize;
use std::time::Duration;

pub use http::{redacted_target, Delivery};

/// One alert sink, from `[[alerts]]` or `--alert KIND=URL`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    /// `webhook`, `slack` or `splunk`.
    pub kind: String,
    /// Where to send (for Splunk, the HEC event endpoint `.../services/collector/event`).
    pub url: String,
    /// Name of the environment variable holding the token (Splunk HEC token; a bearer token
    /// for a webhook). Never the token itself.
    #[serde(default)]
    pub token_env: Option<String>,
    /// Splunk `sourcetype` (default `driftgate`).
    #[serde(default)]
    pub sourcetype: Option<String>,
    /// Splunk `index` (default: the token's).
    #[serde(default)]
    pub index: Option<String>,
    /// What triggers the alert: any of `violation`, `warn`, `drift`, `quarantine`
    /// (default: violation, drift, quarantine).
    #[serde(default)]
    pub on: Vec<String>,
    /// Seconds to wait for one answer (default 10).
    #[serde(default)]
    pub timeout_secs: Option<u64>,
    /// Attempts in all (default 4).
    #[serde(default)]
    pub max_attempts: Option<u32>,
    /// First backoff in milliseconds, doubled per attempt up to 60 s (default 1000).
    #[serde(default)]
    pub retry_base_ms: Option<u64>,
}

impl AlertConfig {
    /// Parses `--alert KIND=URL`.
    pub fn parse_flag(s: &str) -> Result<AlertConfig> {
        let (kind, url) = s.split_once('=').ok_or_else(|| Error::Usage {
            message: format!("--alert {s:?} is not KIND=URL"),
            help: Some(
                "for example --alert slack=https://hooks.slack.com/services/... (tokens come from the environment)"
                    .into(),
            ),
        })?;
        let token_env = match kind {
            "splunk" => Some("DRIFTGATE_SPLUNK_TOKEN".to_string()),
            "webhook" if std::env::var_os("DRIFTGATE_WEBHOOK_TOKEN").is_some() => {
                Some("DRIFTGATE_WEBHOOK_TOKEN".to_string())
            }
            _ => None,
        };
        let c = AlertConfig {
            kind: kind.to_string(),
            url: url.to_string(),
            token_env,
            sourcetype: None,
            index: None,
            on: Vec::new(),
            timeout_secs: None,
            max_attempts: None,
            retry_base_ms: None,
        };
        c.validate()?;
        Ok(c)
    }

    /// Checks the kind, the URL and the triggers.
    pub fn validate(&self) -> Result<()> {
        let bad = |message: String| Error::Usage { message, help: None };
        if !matches!(self.kind.as_str(), "webhook" | "slack" | "splunk") {
            return Err(bad(format!("alert kind {:?} is not webhook, slack or splunk", self.kind)));
        }
        let url = reqwest::Url::parse(&self.url).map_err(|e| bad(format!("alert URL is not a URL: {e}")))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err(bad(format!("alert URL scheme {} is not http(s)", url.scheme())));
        }
        if let Some(t) = self.on.iter().find(|t| !matches!(t.as_str(), "violation" | "warn" | "drift" | "quarantine")) {
            return Err(bad(format!("alert trigger {t:?} is not violation, warn, drift or quarantine")));
        }
        Ok(())
    }

    pub(crate) fn delivery(&self) -> Delivery {
        Delivery {
            timeout: Duration::from_secs(self.timeout_secs.unwrap_or(10).max(1)),
            max_attempts: self.max_attempts.unwrap_or(4).max(1),
            retry_base: Duration::from_millis(self.retry_base_ms.unwrap_or(1000)),
        }
    }

    fn triggered(&self, r: &Report) -> bool {
        let on: Vec<&str> = if self.on.is_empty() {
            vec!["violation", "drift", "quarantine"]
        } else {
            self.on.iter().map(String::as_str).collect()
        };
        on.iter().any(|t| match *t {
            "violation" => r.summary.violations > 0,
            "warn" => r.summary.warnings > 0,
            "drift" => r.summary.changes > 0,
            "quarantine" => r.summary.quarantined > 0,
            _ => false,
        })
    }
}

/// A destination for alerts.
pub trait Sink {
    /// The kind, for the outcome.
    fn kind(&self) -> &'static str;
    /// The request bodies to send for `report` (more than one when a sink batches), with
    /// their content type.
    fn bodies(&self, report: &Report) -> Vec<(String, &'static str)>;
}

fn sink_for(c: &AlertConfig) -> Box<dyn Sink> {
    match c.kind.as_str() {
        "slack" => Box::new(slack::Slack),
        "splunk" => Box::new(splunk::Splunk {
            sourcetype: c.sourcetype.clone().unwrap_or_else(|| "driftgate".into()),
            index: c.index.clone(),
        }),
        _ => Box::new(webhook::Webhook),
    }
}

/// Sends one alert per configured sink and returns what each did. Never fails: errors are
/// outcomes.
pub fn send_alerts(report: &Report, configs: &[AlertConfig]) -> Vec<AlertOutcome> {
    configs
        .iter()
        .map(|c| {
            let target = http::redacted_target(&c.url);
            if !c.triggered(report) {
                return AlertOutcome {
                    sink: c.kind.clone(),
                    target,
                    status: "skipped".into(),
                    attempts: 0,
                    error: None,
                };
            }
            let token = c.token_env.as_ref().and_then(|v| std::env::var(v).ok());
            if c.kind == "splunk" && token.is_none() {
                let var = c.token_env.clone().unwrap_or_default();
                return AlertOutcome {
                    sink: c.kind.clone(),
                    target,
                    status: "failed".into(),
                    attempts: 0,
                    error: Some(format!("no Splunk HEC token: set {var}")),
                };
            }
            let auth = token.map(|t| if c.kind == "splunk" { format!("Splunk {t}") } else { format!("Bearer {t}") });
            let sink = sink_for(c);
            let delivery = c.delivery();
            let mut attempts = 0;
            for (body, content_type) in sink.bodies(report) {
                match delivery.post(&c.url, body, content_type, auth.as_deref()) {
                    Ok(n) => attempts += n,
                    Err((n, error)) => {
                        return AlertOutcome {
                            sink: c.kind.clone(),
                            target,
                            status: "failed".into(),
                            attempts: attempts + n,
                            error: Some(error),
                        }
                    }
                }
            }
            AlertOutcome { sink: c.kind.clone(), target, status: "sent".into(), attempts, error: None }
        })
        .collect()
}

/// Sends a one-off notice (not a check report) to every sink: `kind` names it, `message`
/// says it, `fields` add detail. Never fails: errors are outcomes.
pub fn send_notice(
    configs: &[AlertConfig],
    kind: &str,
    message: &str,
    fields: &serde_json::Value,
) -> Vec<AlertOutcome> {
    configs
        .iter()
        .map(|c| {
            let target = http::redacted_target(&c.url);
            let token = c.token_env.as_ref().and_then(|v| std::env::var(v).ok());
            let body = match c.kind.as_str() {
                "slack" => serde_json::json!({"text": format!(":warning: driftgate: {message}")}),
                "splunk" => serde_json::json!({
                    "host": "driftgate", "source": "driftgate", "sourcetype": c.sourcetype.clone().unwrap_or_else(|| "driftgate".into()),
                    "event": {"kind": kind, "message": message, "data": fields}
                }),
                _ => serde_json::json!({"kind": format!("driftgate.{kind}"), "message": message, "data": fields}),
            };
            let auth = token.map(|t| if c.kind == "splunk" { format!("Splunk {t}") } else { format!("Bearer {t}") });
            match c.delivery().post(&c.url, body.to_string(), "application/json", auth.as_deref()) {
                Ok(n) => AlertOutcome { sink: c.kind.clone(), target, status: "sent".into(), attempts: n, error: None },
                Err((n, e)) => {
                    AlertOutcome { sink: c.kind.clone(), target, status: "failed".into(), attempts: n, error: Some(e) }
                }
            }
        })
        .collect()
}

/// The few most important findings, for messages with room for a handful.
pub(crate) fn top_findings(r: &Report, n: usize) -> Vec<&crate::report::Finding> {
    r.findings
        .iter()
        .filter(|f| f.waiver.as_ref().is_none_or(|w| w.status != crate::policy::WaiverStatus::Active))
        .take(n)
        .collect()
}
